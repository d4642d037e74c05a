import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ClientRequest } from 'node:http';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// The Go binary embeds dist/, and `go:embed` refuses a folder that does not exist, so
// dist/.gitkeep is committed. Vite empties dist/ on every build; this puts the file back.
function keepDistPlaceholder(): Plugin {
  return {
    name: 'amend-keep-dist-placeholder',
    apply: 'build',
    closeBundle() {
      writeFileSync(join(import.meta.dirname, 'dist', '.gitkeep'), '');
    },
  };
}

// AMEND_DEV_API points the dev server at an API elsewhere than the default `make run` address.
const apiServer = process.env.AMEND_DEV_API ?? 'http://127.0.0.1:8080';

// In development the page comes from Vite but the API from the Go server, which accepts
// cookie-authenticated writes only from its allowed origins. A request whose Origin is the
// dev server itself is passed on as if it came from the API server's own origin; any other
// Origin is left as it is, so the server's check still turns away foreign pages.
function presentDevOriginAsApiOrigin(proxyRequest: ClientRequest, incoming: IncomingMessage): void {
  const origin = incoming.headers.origin;
  if (origin !== undefined && origin === `http://${incoming.headers.host}`) {
    proxyRequest.setHeader('Origin', apiServer);
  }
}

export default defineConfig({
  plugins: [svelte(), svelteTesting(), keepDistPlaceholder()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': {
        target: apiServer,
        changeOrigin: true,
        ws: true,
        configure(proxy) {
          proxy.on('proxyReq', (proxyRequest, incoming) => presentDevOriginAsApiOrigin(proxyRequest, incoming));
          proxy.on('proxyReqWs', (proxyRequest, incoming) => presentDevOriginAsApiOrigin(proxyRequest, incoming));
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
});
