// The dashboard session's cookie name: its own module, so the route definitions name it without
// pulling the session store into every bundle.
export const SESSION_COOKIE = 'vault_session';
