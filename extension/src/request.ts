import { URLExt } from '@jupyterlab/coreutils';

import { ServerConnection } from '@jupyterlab/services';

/**
 * An error answered by the Shipshape server routes: the HTTP status and the JSON body's message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: any = {}
  ) {
    super(message);
  }
}

/**
 * Call a `/shipshape/` route; the one place the frontend talks to the server.
 *
 * @param endPoint route under /shipshape/, e.g. 'readiness'
 * @param init request method and body
 * @param settings server settings (the default ones of the page when omitted)
 * @returns the JSON body
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'shipshape', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(0, `cannot reach the Jupyter server: ${error}`);
  }
  const text = await response.text();
  let data: any = {};
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text.slice(0, 500) };
    }
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      data.message || `${response.status} ${response.statusText}`,
      data
    );
  }
  return data as T;
}

const inFlight = new Map<string, Promise<unknown>>();

/** The performance mark a GET leaves when its answer arrived (`shipshape:data`); see View.show. */
export const DATA_MARK = 'shipshape:data';

/** A performance mark, where the browser has them (kept to the last 100 of a name). */
function mark(name: string): void {
  if (typeof performance === 'undefined' || !performance.mark) {
    return;
  }
  if (performance.getEntriesByName(name, 'mark').length >= 100) {
    performance.clearMarks(name);
  }
  performance.mark(name);
}

/** GET a route; a GET of the same route still in flight (the summary's and a view's poll) is shared, not repeated. */
export function get<T>(endPoint: string): Promise<T> {
  const pending = inFlight.get(endPoint);
  if (pending) {
    return pending as Promise<T>;
  }
  const p = requestAPI<T>(endPoint)
    .then(data => {
      mark(DATA_MARK); // the data arrived: a view's render is measured from here (View.show)
      return data;
    })
    .finally(() => inFlight.delete(endPoint));
  inFlight.set(endPoint, p);
  return p;
}

/** POST a JSON body to a route. */
export function post<T>(endPoint: string, body: object): Promise<T> {
  return requestAPI<T>(endPoint, {
    method: 'POST',
    body: JSON.stringify(body)
  });
}
