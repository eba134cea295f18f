/**
 * Calls to the llmr server this page came from, carrying the API key the user typed in.
 * Every failure becomes an `ApiError` whose message is the server's own explanation.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Api {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  json<T>(path: string, init?: RequestInit): Promise<T>;
}

async function explain(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let message = text.slice(0, 500) || response.statusText;
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const error = body.error;
    message = (typeof error === 'string' ? error : error?.message) ?? body.message ?? message;
  } catch {
    // Not JSON: the text itself is the best explanation there is.
  }
  const hint =
    response.status === 401 || response.status === 403 ? ' Check the API key above.' : '';
  return new ApiError(`${response.status}: ${message}${hint}`, response.status);
}

export function createApi(apiKey: () => string): Api {
  const call = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const key = apiKey().trim();
    if (key) headers.set('authorization', `Bearer ${key}`);
    if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    let response: Response;
    try {
      response = await fetch(path, { ...init, headers });
    } catch (error) {
      throw new ApiError(`The server could not be reached (${String(error)}).`, 0);
    }
    if (!response.ok) throw await explain(response);
    return response;
  };
  return {
    fetch: call,
    json: async <T>(path: string, init?: RequestInit) => (await call(path, init)).json() as T,
  };
}
