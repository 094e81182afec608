import type { Metadata } from 'next';
import Link from 'next/link';
import './globals.css';
import { SignOut } from './_components/sign-out';
import { currentUser } from './_lib/session';
import { Providers } from './providers';

export const metadata: Metadata = { title: 'KBO import', description: 'Micro-batch imports of KBO Open Data into PostgreSQL' };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const who = await currentUser();
  // A reader sees the register (and its watchlists), never imports, the sync or the keys.
  const admin = who?.role === 'admin';
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900">
        <header className="border-b border-slate-200 bg-white">
          <nav className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
            <Link href={who && !admin ? '/register' : '/'} className="font-semibold">KBO import</Link>
            {(admin || !who) && <Link href="/imports" className="text-sm text-slate-600 hover:text-slate-900">Imports</Link>}
            <Link href="/register" className="text-sm text-slate-600 hover:text-slate-900">Register</Link>
            {who && <Link href="/watchlists" className="text-sm text-slate-600 hover:text-slate-900">Watchlists</Link>}
            {(admin || !who) && <Link href="/sync" className="text-sm text-slate-600 hover:text-slate-900">Sync</Link>}
            {admin && <Link href="/keys" className="text-sm text-slate-600 hover:text-slate-900">API keys</Link>}
            {who && <SignOut user={who.user} />}
          </nav>
        </header>
        <main className="mx-auto max-w-6xl px-4 py-8">
          <Providers>{children}</Providers>
        </main>
      </body>
    </html>
  );
}
