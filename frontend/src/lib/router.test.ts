import { describe, expect, it } from 'vitest';
import { Router, matchPath } from './router.svelte';

const patterns = { home: '/', sign_in: '/sign-in', invite: '/invite/:token' };

describe('matchPath', () => {
  it.each([
    ['/', 'home', {}],
    ['/sign-in', 'sign_in', {}],
    ['/sign-in/', 'sign_in', {}],
    ['/invite/abc%2D123', 'invite', { token: 'abc-123' }],
    ['/invite', 'not_found', {}],
    ['/invite/abc/extra', 'not_found', {}],
    ['/invite/%E0%A4%A', 'not_found', {}],
    ['/somewhere-else', 'not_found', {}],
  ])('matches %s to %s', (path, name, params) => {
    expect(matchPath(patterns, path)).toEqual({ name, params });
  });
});

describe('Router', () => {
  it('carries a confirmation to the page a navigation leads to, and drops it at the next one', () => {
    const router = new Router();
    router.navigate('/couples', { notice: 'The record is erased.' });
    expect(router.notice).toBe('The record is erased.');
    router.navigate('/');
    expect(router.notice).toBe('');
  });
});
