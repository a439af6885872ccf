import { useEffect, useState } from 'react';
import { ToastProvider, useToast } from './components/Toasts';
import { I18nProvider, useI18n, type Lang, type MessageKey } from './i18n';
import { accounts as accountsApi, settings as settingsApi } from './api/api';
import { setAutobuy, useAutobuy } from './lib/autobuyStore';
import { Link, navigate, usePath } from './lib/router';
import { SessionProvider, useSession } from './lib/session';
import { useSessionRevoked } from './lib/useSessionRevoked';
import { applyTheme, initialTheme, type Theme } from './lib/theme';
import { AuctionsScreen } from './screens/AuctionsScreen';
import { AuthScreen } from './screens/AuthScreen';
import { ChannelsScreen } from './screens/ChannelsScreen';
import { DashboardScreen } from './screens/DashboardScreen';
import { GiftsScreen } from './screens/GiftsScreen';
import { PurchasesScreen } from './screens/PurchasesScreen';
import { ResaleScreen } from './screens/ResaleScreen';
import { SessionsScreen } from './screens/SessionsScreen';
import { SettingsScreen } from './screens/SettingsScreen';
import { GiftIcon } from './components/Icons';

const ROUTES: { path: string; label: MessageKey; screen: () => React.JSX.Element }[] = [
  { path: '/', label: 'nav.dashboard', screen: DashboardScreen },
  { path: '/gifts', label: 'nav.gifts', screen: GiftsScreen },
  { path: '/channels', label: 'nav.targets', screen: ChannelsScreen },
  { path: '/purchases', label: 'nav.purchases', screen: PurchasesScreen },
  { path: '/resale', label: 'nav.resale', screen: ResaleScreen },
  { path: '/auctions', label: 'nav.auctions', screen: AuctionsScreen },
  { path: '/settings', label: 'nav.settings', screen: SettingsScreen },
  { path: '/sessions', label: 'nav.sessions', screen: SessionsScreen },
];

function Prefs() {
  const { t, lang, setLang } = useI18n();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => applyTheme(theme), [theme]);
  return (
    <div className="prefs">
      <select aria-label={t('prefs.language')} value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="en">EN</option>
        <option value="ru">RU</option>
      </select>
      <button
        type="button"
        className="icon-btn"
        aria-label={theme === 'dark' ? t('prefs.lightTheme') : t('prefs.darkTheme')}
        title={theme === 'dark' ? t('prefs.lightTheme') : t('prefs.darkTheme')}
        onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
      >
        {theme === 'dark' ? '☀' : '☾'}
      </button>
    </div>
  );
}

/** Autobuy's state in the top bar, so it is clear on every screen; a link to change it. */
function AutobuyPill() {
  const { t } = useI18n();
  const on = useAutobuy();
  useEffect(() => {
    settingsApi
      .get()
      .then((s) => setAutobuy(s.autobuy))
      .catch(() => undefined);
  }, []);
  if (on === null) return null;
  return (
    <Link href="/settings" className={`pill ${on ? 'pill-on' : 'pill-off'}`} data-testid="autobuy-pill">
      {on ? t('settings.pillOn') : t('settings.pillOff')}
    </Link>
  );
}

/** Tells the user, wherever they are, when Telegram logs one of their accounts out. */
function RevokedNotices() {
  const { t } = useI18n();
  const toast = useToast();
  useSessionRevoked((account) => {
    accountsApi
      .list()
      .then((list) => {
        const a = list.find((x) => x.telegram_id === account);
        return a ? (a.username ? `@${a.username}` : a.masked_phone) : String(account);
      })
      .catch(() => String(account))
      .then((name) => toast.show('error', t('accounts.sessionRevoked', { name })));
  });
  return null;
}

function Shell() {
  const { t } = useI18n();
  const { user, checking, logout } = useSession();
  const path = usePath();
  const known = ROUTES.some((r) => r.path === path);
  useEffect(() => {
    if (user && !known) navigate('/', true);
  }, [user, known]);
  if (checking) return <p className="center muted">{t('common.loading')}</p>;
  if (!user) {
    return (
      <>
        <div className="auth-prefs">
          <Prefs />
        </div>
        <AuthScreen />
      </>
    );
  }
  const route = ROUTES.find((r) => r.path === path);
  const Screen = (route ?? ROUTES[0]!).screen;
  return (
    <>
      <a className="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          <GiftIcon size={22} /> <span>GiftBuyer</span>
        </Link>
        <nav aria-label={t('nav.main')}>
          <ul className="nav">
            {ROUTES.map((r) => (
              <li key={r.path}>
                <Link href={r.path} aria-current={r.path === path ? 'page' : undefined} className={r.path === path ? 'active' : ''}>
                  {t(r.label)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-end">
          <AutobuyPill />
          <RevokedNotices />
          <span className="muted small user">{user.username}</span>
          <Prefs />
          <button type="button" className="btn btn-small" onClick={() => void logout()}>
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen key={path} />
      </main>
    </>
  );
}

export function App({ lang }: { lang?: Lang }) {
  return (
    <I18nProvider lang={lang}>
      <ToastProvider>
        <SessionProvider>
          <Shell />
        </SessionProvider>
      </ToastProvider>
    </I18nProvider>
  );
}
