import http from 'node:http';
import type { Express } from 'express';

/**
 * The HTTP server for the app, making each request and response with the app's own prototypes.
 *
 * Express gives every request and response the app's prototypes as it receives them
 * (`Object.setPrototypeOf` in `app.handle`). Measured, that change to objects already made cost the
 * young-generation collector: a minimal Express app moved about a third of what it allocated to the
 * old generation, even one request at a time, and nothing when its requests were made with those
 * prototypes to begin with (docs/decisions/034-requests-made-with-the-apps-prototypes.md). So Node
 * makes them here as subclasses whose prototypes are the app's, and Express's change sets the
 * prototype they already have, which does nothing. Call it once the app is built: the app's
 * prototypes are replaced by the subclasses' (which inherit everything from them).
 */
export function createAppServer(app: Express): http.Server {
  class AppRequest extends http.IncomingMessage {}
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  // The types cannot see that the subclasses' prototypes now inherit Express's methods.
  app.request = AppRequest.prototype as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  return http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}
