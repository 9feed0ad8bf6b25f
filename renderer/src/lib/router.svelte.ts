import { type Route, parseRoute } from "./route";

class Router {
  current = $state<Route>(parseRoute(location.hash));

  constructor() {
    addEventListener("hashchange", () => {
      this.current = parseRoute(location.hash);
    });
  }

  go(hash: string): void {
    location.hash = hash;
  }
}

export const router = new Router();
