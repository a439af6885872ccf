import { useEffect, useId, useState, type FormEvent } from 'react';
import { channels as channelsApi, settings as api } from '../api/api';
import { ApiError } from '../api/errors';
import type { ChannelTarget, Priority, Settings, SettingsPatch } from '../api/types';
import { Field } from '../components/Field';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { setAutobuy } from '../lib/autobuyStore';
import { channelTargets } from '../lib/targets';
import { useLoad } from '../lib/useAsync';
import { isBotApiChannelId, parseChatList } from '../lib/validation';

export function SettingsScreen() {
  const { t } = useI18n();
  const toast = useToast();
  const { data, setData } = useLoad(api.get, toast.error);
  useEffect(() => {
    if (data) setAutobuy(data.autobuy);
  }, [data]);

  /** Sends only what changed (PATCH: a left-out field keeps its value). */
  const save = async (patch: SettingsPatch): Promise<Record<string, string> | null> => {
    try {
      setData(await api.patch(patch));
      toast.success(t('settings.saved'));
      return null;
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length > 0) return err.fields;
      toast.error(err);
      return {};
    }
  };

  if (!data) return <div className="screen"><p className="muted">{t('common.loading')}</p></div>;
  return (
    <div className="screen">
      <h1 className="screen-title">{t('nav.settings')}</h1>
      <AutobuySection settings={data} save={save} />
      <BotSection settings={data} save={save} />
      <TargetsSection settings={data} save={save} />
      <PrioritySection settings={data} save={save} />
      <LangSection settings={data} save={save} />
    </div>
  );
}

type Save = (p: SettingsPatch) => Promise<Record<string, string> | null>;

function AutobuySection({ settings, save }: { settings: Settings; save: Save }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    await save({ autobuy: !settings.autobuy });
    setBusy(false);
  };
  return (
    <section className={`panel autobuy ${settings.autobuy ? 'autobuy-on' : 'autobuy-off'}`} aria-labelledby="autobuy-h">
      <div className="panel-head">
        <div>
          <h2 id="autobuy-h">{t('settings.autobuy')}</h2>
          <p className="muted small">{t('settings.autobuyHelp')}</p>
        </div>
        <button
          type="button"
          role="switch"
          aria-checked={settings.autobuy}
          aria-labelledby="autobuy-h"
          className={`switch${settings.autobuy ? ' on' : ''}`}
          onClick={() => void toggle()}
          disabled={busy}
          data-testid="autobuy-switch"
        >
          <span className="switch-knob" aria-hidden="true" />
          <span className="switch-text">{settings.autobuy ? t('settings.on') : t('settings.off')}</span>
        </button>
      </div>
      <p className="autobuy-state" role="status">
        {settings.autobuy ? t('settings.autobuyOn') : t('settings.autobuyOff')}
      </p>
    </section>
  );
}

function BotSection({ settings, save }: { settings: Settings; save: Save }) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (token.trim() === '') return setError(t('validation.required'));
    const fields = await save({ bot_token: token.trim() });
    if (fields === null) {
      setToken('');
      setError(undefined);
    } else setError(fields.bot_token);
  };
  const clear = async () => {
    await save({ bot_token: null });
  };
  return (
    <section className="panel" aria-labelledby="bot-h">
      <h2 id="bot-h">{t('settings.bot')}</h2>
      <p className="small" data-testid="bot-state">
        {settings.bot_token_set
          ? settings.bot_username
            ? t('settings.botSetAs', { name: `@${settings.bot_username}` })
            : t('settings.botSet')
          : t('settings.botNotSet')}
      </p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <Field label={t('settings.botToken')} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} error={error} hint={t('settings.botTokenHint')} />
        <button type="submit" className="btn btn-primary">
          {settings.bot_token_set ? t('settings.replaceToken') : t('common.save')}
        </button>
        {settings.bot_token_set && (
          <button type="button" className="btn btn-danger" onClick={() => void clear()}>
            {t('settings.removeToken')}
          </button>
        )}
      </form>
    </section>
  );
}

function TargetsSection({ settings, save }: { settings: Settings; save: Save }) {
  const { t, tk } = useI18n();
  const listId = useId();
  // The forced target is a channel id: my channel targets are offered as suggestions, no other kind.
  const [channels, setChannels] = useState<ChannelTarget[]>([]);
  useEffect(() => {
    channelsApi.list().then((list) => setChannels(channelTargets(list))).catch(() => undefined);
  }, []);
  const [chats, setChats] = useState(settings.notification_chats.join(', '));
  const [forced, setForced] = useState(settings.forced_target === null ? '' : String(settings.forced_target));
  const [errors, setErrors] = useState<Record<string, string>>({});
  // Follow the saved values when they change, by value and during render: a refetch of the same
  // settings must not wipe what is being typed, and an effect would run after the first paint,
  // where it could overwrite a field the user (or a test) changed in between.
  const savedChats = settings.notification_chats.join(', ');
  const [synced, setSynced] = useState({ chats: savedChats, forced: settings.forced_target });
  if (synced.chats !== savedChats || synced.forced !== settings.forced_target) {
    setSynced({ chats: savedChats, forced: settings.forced_target });
    setChats(savedChats);
    setForced(settings.forced_target === null ? '' : String(settings.forced_target));
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    const list = parseChatList(chats);
    if (list.error) found.notification_chats = tk(list.error);
    if (forced.trim() !== '' && !isBotApiChannelId(forced)) found.forced_target = tk('validation.channelId');
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const patch: SettingsPatch = {};
    if (list.value.join(',') !== settings.notification_chats.join(',')) patch.notification_chats = list.value;
    const f = forced.trim() === '' ? null : Number(forced.trim());
    if (f !== settings.forced_target) patch.forced_target = f;
    if (Object.keys(patch).length === 0) return;
    const fields = await save(patch);
    if (fields) {
      const mapped: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields)) mapped[k.startsWith('notification_chats') ? 'notification_chats' : k] = v;
      setErrors(mapped);
    }
  };

  return (
    <section className="panel" aria-labelledby="targets-h">
      <h2 id="targets-h">{t('settings.targets')}</h2>
      <form onSubmit={submit} noValidate>
        <Field label={t('settings.notificationChats')} value={chats} onChange={(e) => setChats(e.target.value)} error={errors.notification_chats} hint={t('settings.notificationChatsHint')} placeholder="-1001234567890, 123456789" />
        <Field label={t('settings.forcedTarget')} value={forced} onChange={(e) => setForced(e.target.value)} error={errors.forced_target} hint={t('settings.forcedTargetHint')} placeholder="-1001234567890" list={listId} autoComplete="off" />
        <datalist id={listId} data-testid="forced-target-options">
          {channels.map((c) => (
            <option key={c.id} value={String(c.channel_id)}>
              {c.title ?? ''}
            </option>
          ))}
        </datalist>
        <div className="actions">
          <button type="submit" className="btn btn-primary">
            {t('common.save')}
          </button>
        </div>
      </form>
    </section>
  );
}

function PrioritySection({ settings, save }: { settings: Settings; save: Save }) {
  const { t } = useI18n();
  const id = useId();
  const [error, setError] = useState<string | undefined>();
  const change = async (priority: Priority) => {
    const fields = await save({ priority });
    setError(fields?.priority);
  };
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('settings.priority')}</h2>
      <div className="field field-inline">
        <label htmlFor={id}>{t('settings.priorityLabel')}</label>
        <select id={id} value={settings.priority} onChange={(e) => void change(e.target.value as Priority)} aria-describedby={`${id}-hint`}>
          <option value="scarcest_first">{t('settings.priorityScarcest')}</option>
          <option value="priciest_first">{t('settings.priorityPriciest')}</option>
        </select>
      </div>
      <p className="muted small" id={`${id}-hint`}>
        {t('settings.priorityHint')}
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function LangSection({ settings, save }: { settings: Settings; save: Save }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <section className="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('settings.reportLang')}</h2>
      <div className="field field-inline">
        <label htmlFor={id}>{t('settings.reportLangLabel')}</label>
        <select id={id} value={settings.report_lang} onChange={(e) => void save({ report_lang: e.target.value })}>
          <option value="en">English</option>
          <option value="ru">Русский</option>
        </select>
      </div>
    </section>
  );
}
