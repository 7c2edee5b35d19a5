import { apiErrorOf, type StatusTable } from '../http/api-error';

/** Output bindings: every failure is daprd's 500 ERR_INVOKE_OUTPUT_BINDING, a bad body 400. */
const BINDING_STATUS: StatusTable = { ERR_MALFORMED_REQUEST: 400 };

export const bindingApiError = (err: unknown) => apiErrorOf(err, BINDING_STATUS, 'ERR_INVOKE_OUTPUT_BINDING');

/** Secrets: an unknown store is 401 in daprd (the docs say 400), none configured 500. */
const SECRET_STATUS: StatusTable = {
  ERR_SECRET_STORE_NOT_FOUND: 401,
  ERR_SECRET_STORES_NOT_CONFIGURED: 500,
  ERR_PERMISSION_DENIED: 403,
};

export const secretApiError = (err: unknown) => apiErrorOf(err, SECRET_STATUS, 'ERR_SECRET_GET');
