import { dashboardPage } from '../../lib/dashboard/page.js';
import { html } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { dashboardRoutes } from './routes.js';

export const handler = route(dashboardRoutes.dashboardPage, async () => html(dashboardPage()));
