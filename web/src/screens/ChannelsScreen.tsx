import { useCallback, useState, type FormEvent } from 'react';
import { channels as api } from '../api/api';
import type { ChannelCheck, ChannelTarget, Preview, Target } from '../api/types';
import { Field } from '../components/Field';
import { ConfirmDialog } from '../components/Modal';
import { useToast } from '../components/Toasts';
import { useI18n, type I18n } from '../i18n';
import { loadAccess, saveAccess, type AccessSummary } from '../lib/channelAccess';
import { isChannelTarget, targetLabel } from '../lib/targets';
import { useLoad } from '../lib/useAsync';
import { ChannelCheckDialog } from './ChannelCheckDialog';
import { ChannelDialog } from './ChannelDialog';

export function rangeText(i18n: I18n, min: number | null, max: number | null): string {
  if (min === null && max === null) return i18n.t('channels.any');
  if (min === null) return `≤ ${i18n.num(max!)}`;
  if (max === null) return `≥ ${i18n.num(min)}`;
  return `${i18n.num(min)} – ${i18n.num(max)}`;
}

/** The autobuy targets (channels, the buying account itself, people by @username) and the routing preview. */
export function ChannelsScreen() {
  const i18n = useI18n();
  const { t } = i18n;
  const toast = useToast();
  const list = useLoad(api.list, toast.error);
  const [editing, setEditing] = useState<Target | null | 'new'>(null);
  const [deleting, setDeleting] = useState<Target | null>(null);
  const [checking, setChecking] = useState<ChannelTarget | null>(null);
  const reload = list.reload;
  const [access, setAccess] = useState(loadAccess);
  const onChecked = useCallback(
    (check: ChannelCheck) => {
      setAccess(saveAccess(check.id, check));
      // A check fills in a missing title from Telegram.
      if (check.title !== null) void reload();
    },
    [reload],
  );

  const remove = async (c: Target) => {
    try {
      await api.remove(c.id);
      toast.success(t('channels.deleted'));
      void list.reload();
    } catch (err) {
      toast.error(err);
    } finally {
      setDeleting(null);
    }
  };

  const channels = list.data ?? [];
  return (
    <div className="screen">
      <div className="screen-head">
        <h1 className="screen-title">{t('nav.targets')}</h1>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
          {t('channels.add')}
        </button>
      </div>
      <section className="panel">
        {list.loading && !list.data ? (
          <p className="muted">{t('common.loading')}</p>
        ) : channels.length === 0 ? (
          <p className="empty">{t('channels.empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="table table-cards">
              <thead>
                <tr>
                  <th scope="col">{t('channels.titleField')}</th>
                  <th scope="col">{t('channels.recipient')}</th>
                  <th scope="col">{t('channels.price')}</th>
                  <th scope="col">{t('channels.supply')}</th>
                  <th scope="col">{t('channels.access')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('common.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {channels.map((c) => (
                  <tr key={c.id} data-testid="channel-row">
                    <td data-label={t('channels.titleField')}>
                      {c.title ?? '—'}
                      <ExcludedNote channel={c} />
                    </td>
                    <td data-label={t('channels.recipient')} data-testid="channel-recipient">
                      <RecipientCell target={c} />
                    </td>
                    <td data-label={t('channels.price')}>{rangeText(i18n, c.price_min, c.price_max)}</td>
                    <td data-label={t('channels.supply')}>{rangeText(i18n, c.supply_min, c.supply_max)}</td>
                    <td data-label={t('channels.access')} data-testid="channel-access">
                      {isChannelTarget(c) ? <AccessCell summary={access[c.id]} /> : <span className="muted">{t('channels.accessNotNeeded')}</span>}
                    </td>
                    <td className="cell-actions">
                      {/* Only a channel has members to check: the server refuses the check for other kinds. */}
                      {isChannelTarget(c) && (
                        <button type="button" className="btn btn-small" onClick={() => setChecking(c)}>
                          {t('check.button')}
                        </button>
                      )}
                      <button type="button" className="btn btn-small" onClick={() => setEditing(c)}>
                        {t('common.edit')}
                      </button>
                      <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(c)}>
                        {t('common.delete')}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <PreviewPanel />
      {editing && <ChannelDialog channel={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={() => void list.reload()} />}
      {checking && <ChannelCheckDialog channel={checking} onClose={() => setChecking(null)} onChecked={onChecked} />}
      {deleting && (
        <ConfirmDialog
          title={t('channels.deleteTitle')}
          text={t('channels.deleteText', { name: targetLabel(deleting, t) })}
          confirmLabel={t('common.delete')}
          danger
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        />
      )}
    </div>
  );
}

function PreviewPanel() {
  const { t, tk } = useI18n();
  const toast = useToast();
  const [price, setPrice] = useState('');
  const [supply, setSupply] = useState('');
  const [errors, setErrors] = useState<{ price?: string; supply?: string }>({});
  const [result, setResult] = useState<Preview | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const bad = (v: string) => (v.trim() === '' ? 'validation.required' : !/^\d+$/.test(v.trim()) ? 'validation.nonNegative' : undefined);
    const found = { price: bad(price), supply: bad(supply) };
    setErrors(found);
    if (found.price || found.supply) return;
    try {
      setResult(await api.preview(Number(price), Number(supply)));
    } catch (err) {
      toast.error(err);
    }
  };

  return (
    <section className="panel" aria-labelledby="preview-h">
      <h2 id="preview-h">{t('preview.title')}</h2>
      <p className="muted small">{t('preview.help')}</p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label={t('gifts.price')} type="number" min={0} inputMode="numeric" value={price} onChange={(e) => setPrice(e.target.value)} error={errors.price ? tk(errors.price) : undefined} />
        <Field label={t('gifts.supply')} type="number" min={0} inputMode="numeric" value={supply} onChange={(e) => setSupply(e.target.value)} error={errors.supply ? tk(errors.supply) : undefined} />
        <button type="submit" className="btn">
          {t('preview.check')}
        </button>
      </form>
      {result && (
        <div className="notice" role="status" data-testid="preview-result">
          {result.forced_target !== null && <p>{t('preview.forced', { id: result.forced_target })}</p>}
          {result.best ? <p>{t('preview.best', { name: targetLabel(result.best, t) })}</p> : <p>{t('preview.none')}</p>}
          {result.matching.length > 1 && <p className="small muted">{t('preview.matching', { list: result.matching.map((m) => targetLabel(m, t)).join(', ') })}</p>}
        </div>
      )}
    </section>
  );
}

/** Who a target sends gifts to: a channel's id, the buying account itself, or a person's @username. */
function RecipientCell({ target }: { target: Target }) {
  const { t } = useI18n();
  if (target.kind === 'self') return <span>{t('channels.toSelf')}</span>;
  if (target.kind === 'user') return <span className="mono">@{target.username}</span>;
  return (
    <>
      <span className="muted small">{t('channels.channelPrefix')} </span>
      <span className="mono">{target.channel_id}</span>
    </>
  );
}

/** A channel's last access check: how many accounts can buy onto it, or that it was never checked here. */
function AccessCell({ summary }: { summary: AccessSummary | undefined }) {
  const { t, dateTime } = useI18n();
  if (!summary) return <span className="muted">{t('channels.accessUnknown')}</span>;
  const ok = summary.canPost > 0;
  return (
    <span className={`badge status-${ok ? 'bought' : 'failed'}`} title={t('channels.accessCheckedAt', { date: dateTime(summary.checkedAt) })}>
      {t('channels.accessSummary', { ok: summary.canPost, total: summary.total })}
    </span>
  );
}

/** A short line under a target's title naming what its exclude list refuses. */
function ExcludedNote({ channel }: { channel: Target }) {
  const { t } = useI18n();
  const { gift_ids: ids, kinds } = channel.exclude ?? { gift_ids: [], kinds: [] };
  if (ids.length === 0 && kinds.length === 0) return null;
  const items = [
    ...kinds.map((k) => t(k === 'birthday' ? 'channels.kindBirthday' : 'channels.kindPremiumOnly')),
    ...ids.slice(0, 3).map(String),
  ];
  const list = items.join(', ') + (ids.length > 3 ? ', …' : '');
  return (
    <div className="muted small" data-testid="channel-excluded">
      {t('channels.excluded', { list })}
    </div>
  );
}
