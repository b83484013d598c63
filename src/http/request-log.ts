/** What the log keeps of a request: never a token passed in the query string. */
export function requestForLog(req: { method?: string; url?: string; host?: string; ip?: string }) {
  return {
    method: req.method,
    url: req.url?.replace(/([?&]token=)[^&]*/gi, '$1[redacted]'),
    host: req.host,
    remoteAddress: req.ip,
  };
}
