import { useEffect, useState } from "preact/hooks";

/** The parts of a stream's page, each with its own address. */
export const STREAM_TABS = ["overview", "access", "live"] as const;
export type StreamTab = (typeof STREAM_TABS)[number];

/** What the address shows: the start screen, a stream's tab, or an address the page does not know. */
export type Route = { page: "home" } | { page: "stream"; streamId: string; tab: StreamTab } | { page: "unknown"; hash: string };

/**
 * The route of a location hash: `#/` (or none) is the start screen, `#/streams/<id>` a
 * stream's overview and `#/streams/<id>/<tab>` one of its tabs; the id is URL-encoded, so its
 * slashes do not split it. The id is not checked here: the page says in words what is wrong with it.
 *
 * @example
 * parseRoute("#/streams/0xf39f…2266%2Fsensors/live") // { page: "stream", streamId: "0xf39f…2266/sensors", tab: "live" }
 */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "");
  if (path === "" || path === "/") return { page: "home" };
  const match = /^\/streams\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
  const tab = (match?.[2] ?? "overview") as StreamTab;
  if (match === null || !STREAM_TABS.includes(tab)) return { page: "unknown", hash };
  try {
    return { page: "stream", streamId: decodeURIComponent(match[1]), tab };
  } catch {
    // Malformed percent-encoding: not an id at all.
    return { page: "unknown", hash };
  }
}

/** The address of a stream's tab (the overview without a tab part). */
export function streamHref(streamId: string, tab: StreamTab = "overview"): string {
  return `#/streams/${encodeURIComponent(streamId)}${tab === "overview" ? "" : `/${tab}`}`;
}

/** Goes to `href` as a new history entry, so Back returns to where the user was. */
export function navigate(href: string): void {
  if (location.hash !== href) location.hash = href;
}

/** The current route, following the address (links, Back and Forward). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  return route;
}
