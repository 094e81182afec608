import type { Metadata } from 'next';
import Link from 'next/link';
import './globals.css';
import { SignOut } from './_components/sign-out';
import { currentAdmin } from './_lib/session';
import { Providers } from './providers';

export const metadata: Metadata = { title: 'KBO import', description: 'Micro-batch imports of KBO Open Data into PostgreSQL' };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const user = await currentAdmin();
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900">
        <header className="border-b border-slate-200 bg-white">
          <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
            <Link href="/" className="font-semibold">KBO import</Link>
            <Link href="/imports" className="text-sm text-slate-600 hover:text-slate-900">Imports</Link>
            <Link href="/register" className="text-sm text-slate-600 hover:text-slate-900">Register</Link>
            <Link href="/sync" className="text-sm text-slate-600 hover:text-slate-900">Sync</Link>
            {user && <SignOut user={user} />}
          </nav>
        </header>
        <main className="mx-auto max-w-6xl px-4 py-8">
          <Providers>{children}</Providers>
        </main>
      </body>
    </html>
  );
}
