/** `/console/config.json`: written by the local host, and at deploy by the stack (BucketDeployment). */
export interface ConsoleConfig {
  /** The HTTP API's base URL, without a trailing slash. */
  apiUrl: string;
  /** The live WebSocket URL (`GET /v1/live`), when the API has one; null: the console polls. */
  liveUrl: string | null;
  auth: { mode: 'dev' } | { mode: 'cognito'; domain: string; clientId: string; redirectUri?: string; scopes?: string[] };
}

let loaded: Promise<ConsoleConfig> | undefined;

export function config(): Promise<ConsoleConfig> {
  loaded ??= fetch(new URL('console/config.json', document.baseURI), { cache: 'no-store' }).then(async (r) => {
    if (!r.ok) throw new Error(`console/config.json: ${r.status}`);
    const c = (await r.json()) as ConsoleConfig;
    return { ...c, apiUrl: c.apiUrl.replace(/\/+$/, '') };
  });
  return loaded;
}
