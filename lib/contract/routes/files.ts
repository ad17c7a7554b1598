/**
 * Files: a pre-signed upload for a session's staff or for a visitor, and downloads through a
 * short-lived pre-signed GET. The bytes go straight between the caller and the bucket; the
 * functions sign, check the first bytes when a message sends the file, and authorize.
 */
import { CreateFileBody, FileLinkResponse, FileParams, FileQuery, FileUploadResponse } from '../files.ts';
import { IdParams } from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';

const Upload = named('FileUploadResponse', FileUploadResponse);
const Link = named('FileLinkResponse', FileLinkResponse);
const Body = named('CreateFileBody', CreateFileBody);

export const createSessionFile = {
  method: 'POST',
  path: '/v1/sessions/{id}/files',
  function: 'create-session-file',
  access: 'write',
  auth: true,
  summary:
    'An upload for the session (anyone who may write to it): a pre-signed PUT bound to the declared size and type, valid 10 minutes. Send the file with a `file` message; its content is checked then.',
  tag: 'messages',
  params: IdParams,
  body: Body,
  responses: { 201: { description: 'PUT the bytes to `uploadUrl` with `headers` before `expiresAt`', body: Upload } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const getFile = {
  method: 'GET',
  path: '/v1/files/{id}',
  function: 'get-file',
  access: 'read',
  auth: true,
  summary:
    'Download a sent file of a session the caller may see: 302 to a pre-signed GET valid 5 minutes (`Content-Disposition: attachment` for anything not an image); `?redirect=false` answers the link as JSON. 404 for anyone else, and for files not sent, pending or rejected.',
  tag: 'messages',
  params: FileParams,
  query: FileQuery,
  responses: {
    200: { description: 'The link (`?redirect=false`)', body: Link },
    302: { description: 'Redirect to the pre-signed GET (Location); the body repeats the link', body: Link },
  },
  problems: [404],
} as const satisfies RouteSpec;

export const createVisitorFile = {
  method: 'POST',
  path: '/v1/visitors/files',
  function: 'create-visitor-file',
  access: 'write',
  auth: false,
  visitor: 'token',
  throttle: { rate: 5, burst: 20 },
  summary: 'An upload for the visitor’s next message (visitor token): a pre-signed PUT bound to the declared size and type.',
  tag: 'visitors',
  body: Body,
  responses: { 201: { description: 'PUT the bytes to `uploadUrl` with `headers` before `expiresAt`', body: Upload } },
  problems: [404, 409],
} as const satisfies RouteSpec;

export const getVisitorFile = {
  method: 'GET',
  path: '/v1/visitors/files/{id}',
  function: 'get-visitor-file',
  access: 'read',
  auth: false,
  visitor: 'token',
  throttle: { rate: 20, burst: 40 },
  summary:
    'Download a file of a client-visible message of the visitor’s own session (visitor token): 302 to a pre-signed GET, or the link as JSON with `?redirect=false`; 404 otherwise (staff notes’ files included).',
  tag: 'visitors',
  params: FileParams,
  query: FileQuery,
  responses: {
    200: { description: 'The link (`?redirect=false`)', body: Link },
    302: { description: 'Redirect to the pre-signed GET (Location); the body repeats the link', body: Link },
  },
  problems: [404],
} as const satisfies RouteSpec;

export const fileRoutes: readonly RouteSpec[] = [createSessionFile, getFile, createVisitorFile, getVisitorFile];
