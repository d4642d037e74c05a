// A small router over the history API: paths are matched against patterns such as
// "/invite/:token", links inside the app are followed without a page load, and the
// back and forward buttons work.

export interface Match<Name extends string> {
  name: Name | 'not_found';
  params: Record<string, string>;
}

/** Matches a path against patterns keyed by route name; unknown paths match "not_found". */
export function matchPath<Name extends string>(patterns: Record<Name, string>, path: string): Match<Name> {
  const parts = splitPath(path);
  for (const name of Object.keys(patterns) as Name[]) {
    const pattern = splitPath(patterns[name]);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((segment, i) => {
      if (segment.startsWith(':')) {
        try {
          params[segment.slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          return false;
        }
        return true;
      }
      return segment === parts[i];
    });
    if (matches) return { name, params };
  }
  return { name: 'not_found', params: {} };
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

export class Router {
  path = $state(globalThis.location?.pathname ?? '/');
  /** Counts navigations inside the app, so the page can move focus after each one. */
  navigations = $state(0);
  /** What the action that led here did, said on the page it led to until the next navigation. */
  notice = $state('');

  /**
   * Goes to a path inside the app. `replace` keeps it out of the back-button history; `notice`
   * confirms on the next page what the action that navigated did.
   */
  navigate(to: string, options: { replace?: boolean; notice?: string } = {}): void {
    const url = new URL(to, location.origin);
    if (options.replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    this.notice = options.notice ?? '';
    this.path = url.pathname;
    this.navigations += 1;
    if (!url.hash) window.scrollTo(0, 0);
  }

  /** Listens for back/forward and for clicks on links inside the app. Returns a stop function. */
  start(): () => void {
    const onPopState = () => {
      this.notice = '';
      this.path = location.pathname;
      this.navigations += 1;
    };
    const onClick = (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const anchor = (event.target as Element | null)?.closest?.('a');
      if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
      if (anchor.origin !== location.origin || anchor.pathname.startsWith('/api/')) return;
      event.preventDefault();
      this.navigate(anchor.pathname + anchor.search + anchor.hash);
    };
    window.addEventListener('popstate', onPopState);
    document.addEventListener('click', onClick);
    return () => {
      window.removeEventListener('popstate', onPopState);
      document.removeEventListener('click', onClick);
    };
  }
}

/** The app's one router. */
export const router = new Router();
