/** Support operations: a line's response templates, a client's data on request (export, erasure). */

import {
  ClientErasureSchema,
  ClientExportSchema,
  CreateTemplateBody,
  ExportQuery,
  IdParams,
  TemplateListSchema,
  TemplateSchema,
  UpdateTemplateBody,
} from '../schemas.ts';
import { named, type RouteSpec } from '../spec.ts';

const Template = named('Template', TemplateSchema);
/** Configuration: rare by nature. */
const CONFIGURATION = { rate: 10, burst: 20 } as const;

export const listLineTemplates = {
  method: 'GET',
  path: '/v1/lines/{id}/templates',
  function: 'list-line-templates',
  access: 'read',
  auth: true,
  summary: "The line's response templates, by shortcut (whoever sees the line).",
  tag: 'lines',
  params: IdParams,
  responses: { 200: { description: 'The templates', body: named('TemplateList', TemplateListSchema) } },
  problems: [404],
} as const satisfies RouteSpec;

export const createTemplate = {
  method: 'POST',
  path: '/v1/lines/{id}/templates',
  function: 'create-template',
  access: 'write',
  auth: true,
  throttle: CONFIGURATION,
  summary: 'Add a response template (admins and the line’s supervisors); unknown `{{variables}}` are 400.',
  tag: 'lines',
  params: IdParams,
  body: named('CreateTemplateBody', CreateTemplateBody),
  responses: { 201: { description: 'The template', body: Template } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const updateTemplate = {
  method: 'PATCH',
  path: '/v1/templates/{id}',
  function: 'update-template',
  access: 'write',
  auth: true,
  throttle: CONFIGURATION,
  summary: 'Change a response template (admins and the line’s supervisors).',
  tag: 'lines',
  params: IdParams,
  body: named('UpdateTemplateBody', UpdateTemplateBody),
  responses: { 200: { description: 'The template after the change', body: Template } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const deleteTemplate = {
  method: 'DELETE',
  path: '/v1/templates/{id}',
  function: 'delete-template',
  access: 'write',
  auth: true,
  throttle: CONFIGURATION,
  summary: 'Delete a response template (admins and the line’s supervisors).',
  tag: 'lines',
  params: IdParams,
  responses: { 200: { description: 'The template as it was', body: Template } },
  problems: [403, 404, 409],
} as const satisfies RouteSpec;

export const exportClient = {
  method: 'GET',
  path: '/v1/clients/{id}/export',
  function: 'export-client',
  access: 'read',
  auth: true,
  throttle: CONFIGURATION,
  summary: 'Everything held about a client — its sessions, messages, files and ratings — as one JSON document, paged by sessions (`from`; admins).',
  tag: 'clients',
  params: IdParams,
  query: ExportQuery,
  responses: { 200: { description: 'The export', body: named('ClientExport', ClientExportSchema) } },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const eraseClient = {
  method: 'DELETE',
  path: '/v1/clients/{id}',
  function: 'erase-client',
  access: 'write',
  auth: true,
  throttle: CONFIGURATION,
  summary: "Erase a client's personal data (admins): idempotent; `running` (202) means call again to finish.",
  tag: 'clients',
  params: IdParams,
  responses: {
    200: { description: 'Erased', body: named('ClientErasure', ClientErasureSchema) },
    202: { description: 'Under way: the client is hidden already; call again to finish', body: named('ClientErasure', ClientErasureSchema) },
  },
  problems: [403, 404],
} as const satisfies RouteSpec;

export const supportRoutes: readonly RouteSpec[] = [listLineTemplates, createTemplate, updateTemplate, deleteTemplate, exportClient, eraseClient];
