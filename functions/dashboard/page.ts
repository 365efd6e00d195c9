import { dashboardPage } from '../../lib/dashboard/page.js';
import { html } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { routes } from '../routes.js';

export const handler = route(routes.dashboardPage, async () => html(dashboardPage()));
