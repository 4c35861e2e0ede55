import { defineConfig } from '@hey-api/openapi-ts';

// The typed client of the console, generated at build time from the API's OpenAPI document
// (`make` writes web/openapi.json from sculptops.http.openapi). Output is gitignored.
export default defineConfig({
  input: './openapi.json',
  output: { path: './src/client' },
  parser: {
    // Only the canonical /api/v1 surface: the /api/... compatibility twins would only add
    // duplicate camelCase operations.
    filters: { operations: { include: ['/^[A-Z]+ /api/v1/.*/'] } },
  },
  plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
});
