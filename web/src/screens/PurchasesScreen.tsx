import { useEffect, useRef, useState } from 'react';
import { accounts as accountsApi, channels as channelsApi, gifts as giftsApi, history } from '../api/api';
import type { BigId } from '../api/json';
import type { Account, Gift, Operation, RunDetail, RunSummary, Target } from '../api/types';
import { SpendingChart } from '../components/SpendingChart';
import { useToast } from '../components/Toasts';
import { useI18n } from '../i18n';
import { receiverText } from '../lib/targets';
import { useLoad } from '../lib/useAsync';
import { useRunFinished } from '../lib/useGiftFeed';
import { Stars } from '../components/Icons';

function initialRun(): number | null {
  const id = Number(new URLSearchParams(window.location.search).get('run'));
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

export function PurchasesScreen() {
  const { t, num } = useI18n();
  const toast = useToast();
  const spending = useLoad(() => history.spending(30), toast.error);
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [next, setNext] = useState<number | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<number | null>(initialRun);

  const loadPage = async (before?: number) => {
    setLoading(true);
    try {
      const page = await history.runs(before);
      setRuns((r) => (before === undefined ? page.runs : [...r, ...page.runs]));
      setNext(page.next_before);
      if (before === undefined && page.runs[0]) setSelected((s) => s ?? page.runs[0]!.id);
    } catch (err) {
      toast.error(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void loadPage();
  }, []);
  // A run that finishes while the screen is open shows up at the top.
  useRunFinished(() => {
    void loadPage();
    void spending.reload();
  });

  return (
    <div className="screen">
      <div className="screen-head">
        <h1 className="screen-title">{t('nav.purchases')}</h1>
        <button type="button" className="btn" onClick={() => { void loadPage(); void spending.reload(); }}>
          {t('common.refresh')}
        </button>
      </div>
      <section className="panel" aria-labelledby="spend-h">
        <h2 id="spend-h">
          {t('purchases.spending')}
          {spending.data && <span className="muted small"> · {t('purchases.total', { n: num(spending.data.total_stars) })}</span>}
        </h2>
        {spending.data && spending.data.available ? <SpendingChart days={spending.data.days} /> : <p className="muted">{spending.data ? t('purchases.noStats') : t('common.loading')}</p>}
      </section>
      <div className="split">
        <section className="panel runs" aria-labelledby="runs-h">
          <h2 id="runs-h">{t('purchases.runs')}</h2>
          {runs.length === 0 && !loading ? (
            <p className="empty">{t('purchases.empty')}</p>
          ) : (
            <ul className="list run-list">
              {runs.map((r) => (
                <li key={r.id}>
                  <button type="button" className={`run-item${selected === r.id ? ' active' : ''}`} aria-pressed={selected === r.id} onClick={() => setSelected(r.id)} data-testid="run-item">
                    <RunLine run={r} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          {next !== undefined && (
            <button type="button" className="btn btn-block" onClick={() => void loadPage(next)} disabled={loading}>
              {t('purchases.more')}
            </button>
          )}
        </section>
        <section className="panel run-detail" aria-live="polite">
          {selected !== null ? <RunView id={selected} onSettled={() => { void loadPage(); void spending.reload(); }} /> : <p className="muted">{t('purchases.pick')}</p>}
        </section>
      </div>
    </div>
  );
}

function RunLine({ run: r }: { run: RunSummary }) {
  const { t, dateTime } = useI18n();
  return (
    <>
      <span className="run-title">
        #{r.id} · {dateTime(r.started_at)}
      </span>
      <span className="small">
        {r.operations === 0 && <span className="muted">{t('purchases.nothing')}</span>}
        {r.operations > 0 && <span className="ok">{t('purchases.bought', { n: r.bought })}</span>}
        {r.failed > 0 && <span className="bad"> · {t('purchases.failed', { n: r.failed })}</span>}
        {r.unknown > 0 && <span className="warn"> · {t('purchases.unknown', { n: r.unknown })}</span>}
        {r.operations > 0 && <span className="muted"> · {t('purchases.operations', { n: r.operations })}</span>}
      </span>
    </>
  );
}

/** Labels for ids in operations: Telegram account ids, and who received the gift. */
interface Names {
  gift: (id: BigId) => string;
  account: (telegramId: number) => string;
  /** A channel's title (or Bot API id), "myself", or "@username". */
  receiver: (op: Operation) => string;
}

function useNames(): Names {
  const { t } = useI18n();
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [targets, setTargets] = useState<Target[]>([]);
  const [gifts, setGifts] = useState<Gift[]>([]);
  useEffect(() => {
    giftsApi.list().then(setGifts).catch(() => undefined);
    accountsApi.list().then(setAccounts).catch(() => undefined);
    channelsApi.list().then(setTargets).catch(() => undefined);
  }, []);
  return {
    gift: (id) => gifts.find((g) => String(g.id) === String(id))?.title ?? String(id),
    account: (id) => {
      const a = accounts.find((x) => x.telegram_id === id);
      return a ? (a.username ? `@${a.username}` : a.masked_phone) : String(id);
    },
    receiver: (op) => receiverText(op, targets, t),
  };
}

/** A run is still moving while an operation is unsettled or its report is not saved yet. */
export function runInProgress(run: RunDetail): boolean {
  return run.report === null || run.operations.some((o) => o.status === 'planned' || o.status === 'sending');
}

const POLL_MS = 2500;

function RunView({ id, onSettled }: { id: number; onSettled: () => void }) {
  const { t, num, dateTime } = useI18n();
  const toast = useToast();
  const names = useNames();
  const [run, setRun] = useState<RunDetail | null>(null);
  const settled = useRef(onSettled);
  settled.current = onSettled;
  useEffect(() => {
    let alive = true;
    let timer: number | undefined;
    let polls = 0;
    setRun(null);
    const load = () =>
      history
        .run(id)
        .then((r) => {
          if (!alive) return;
          setRun(r);
          // Keep following a run that is still going (for a few minutes at most).
          if (runInProgress(r) && polls++ < 120) timer = window.setTimeout(load, POLL_MS);
          else if (polls > 0) settled.current();
        })
        .catch(toast.error);
    void load();
    return () => {
      alive = false;
      window.clearTimeout(timer);
    };
  }, [id, toast.error]);
  if (!run) return <p className="muted">{t('common.loading')}</p>;
  const moving = runInProgress(run);
  return (
    <div data-testid="run-detail">
      <h2>{t('purchases.run', { id: run.run.id })}</h2>
      <p className="muted small">
        {dateTime(run.run.started_at)}
        {moving && <span className="live live-live"> {t('purchases.inProgress')}</span>}
      </p>
      <h3>{t('purchases.report')}</h3>
      {run.report ? (
        <pre className="report" data-testid="run-report">
          {run.report}
        </pre>
      ) : (
        <p className="muted">{moving ? t('purchases.reportPending') : t('purchases.noReport')}</p>
      )}
      <h3>{t('purchases.outcomes')}</h3>
      {!run.operations_available ? (
        <p className="muted">{t('purchases.noOperations')}</p>
      ) : run.operations.length === 0 ? (
        <p className="muted">{t('purchases.noneOps')}</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t('purchases.gift')}</th>
                <th scope="col">{t('buy.account')}</th>
                <th scope="col">{t('purchases.receiver')}</th>
                <th scope="col">{t('gifts.price')}</th>
                <th scope="col">{t('purchases.status')}</th>
              </tr>
            </thead>
            <tbody>
              {run.operations.map((o) => (
                <tr key={o.seq}>
                  <td>{o.seq}</td>
                  <td title={String(o.gift_id)}>{names.gift(o.gift_id)}</td>
                  <td>{names.account(o.account_id)}</td>
                  <td data-testid="op-receiver">{names.receiver(o)}</td>
                  <td>
                    <Stars value={num(o.price)} />
                  </td>
                  <td>
                    <span className={`badge status-${o.status}`}>{o.status}</span>
                    {o.error && <div className="small bad">{o.error}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
