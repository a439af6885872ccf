import { accounts as accountsApi, profiles as profilesApi } from '../api/api';
import type { Account } from '../api/types';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useLoad } from '../lib/useAsync';
import { AccountsPanel } from './AccountsPanel';
import { ProfilesPanel } from './ProfilesPanel';

export function DashboardScreen() {
  const { t } = useI18n();
  const toast = useToast();
  const profiles = useLoad(profilesApi.list, toast.error);
  const accounts = useLoad(accountsApi.list, toast.error);
  const reloadAll = () => {
    void profiles.reload();
    void accounts.reload();
  };
  const updated = (a: Account) => accounts.setData((list) => list?.map((x) => (x.id === a.id ? a : x)));
  return (
    <div className="screen">
      <h1 className="screen-title">{t('nav.dashboard')}</h1>
      {profiles.loading && !profiles.data ? <p className="muted">{t('common.loading')}</p> : null}
      <AccountsPanel accounts={accounts.data ?? []} profiles={profiles.data ?? []} onChange={reloadAll} onUpdated={updated} />
      <ProfilesPanel profiles={profiles.data ?? []} onChange={reloadAll} />
    </div>
  );
}
