import { memo, useEffect } from 'react';
import type { BigId } from '../api/json';
import type { Gift } from '../api/types';
import { ProgressBar } from '../components/ProgressBar';
import { Sticker } from '../components/Sticker';
import { useI18n } from '../i18n';
import { Link } from '../lib/router';
import { GiftIcon, Stars } from '../components/Icons';

function GiftCardView({ gift: g, fresh, onSeen, onBuy }: { gift: Gift; fresh: boolean; onSeen: (id: BigId) => void; onBuy: (g: Gift) => void }) {
  const { t, num, dateTime } = useI18n();
  const title = g.title ?? t('gifts.untitled', { id: g.id });
  const limits = giftLimits(g, Date.now() / 1000);

  // A fresh gift keeps its highlight for a while, then counts as seen.
  useEffect(() => {
    if (!fresh) return;
    const id = window.setTimeout(() => onSeen(g.id), 60_000);
    return () => window.clearTimeout(id);
  }, [fresh, g.id, onSeen]);

  return (
    <article className={`card gift-card${fresh ? ' gift-fresh' : ''}${g.sold_out ? ' gift-soldout' : ''}`} data-testid="gift-card" data-gift-id={g.id} aria-label={title}>
      {fresh && <span className="ribbon">{t('gifts.new')}</span>}
      {g.has_sticker ? <Sticker giftId={g.id} label={title} /> : <div className="sticker sticker-empty" aria-hidden="true">
          <GiftIcon size={64} />
        </div>}
      <h3 className="gift-title">{title}</h3>
      <div className="gift-price">
        <Stars value={num(g.price)} />
      </div>
      <div className="badges">
        {g.limited && <span className="badge badge-limited">{t('gifts.limited')}</span>}
        {g.sold_out && <span className="badge badge-soldout">{t('gifts.soldOut')}</span>}
        {g.require_premium && <span className="badge badge-premium">{t('gifts.premiumOnly')}</span>}
        {g.birthday && <span className="badge">{t('gifts.birthday')}</span>}
        {g.auction && (
          <span className="badge badge-warn" data-testid="gift-auction" title={t('gifts.auctionHint')}>
            {g.auction.start_date !== null
              ? t('gifts.auctionStarts', { date: dateTime(g.auction.start_date) })
              : t('gifts.auction')}
          </span>
        )}
        {limits.perUserRemains !== null && <span className="badge">{t('gifts.perUser', { n: limits.perUserRemains })}</span>}
        {limits.lockedUntil !== null && (
          <span className="badge badge-warn" title={dateTime(limits.lockedUntil)}>
            {t('gifts.lockedUntil', { date: dateTime(limits.lockedUntil) })}
          </span>
        )}
      </div>
      {g.limited && g.supply != null && (
        <div className="gift-supply">
          <div className="small">
            {t('gifts.remainingOf', { left: num(g.remaining ?? 0), total: num(g.supply) })}
          </div>
          <ProgressBar value={g.remaining ?? 0} max={g.supply} label={t('gifts.remaining')} />
        </div>
      )}
      <div className="muted small">{t('gifts.firstSeen', { date: dateTime(g.first_seen) })}</div>
      {/* An auction gift takes bids only: Telegram refuses it as a purchase, so it offers none. */}
      <button type="button" className="btn btn-small btn-block" onClick={() => onBuy(g)} disabled={g.sold_out || !!g.auction} title={g.auction ? t('gifts.auctionHint') : undefined}>
        {t('gifts.buy')}
      </button>
      {g.auction && (
        <Link href={`/auctions?gift=${encodeURIComponent(String(g.id))}`} className="btn btn-small btn-block" data-testid="gift-plan-bid">
          {t('gifts.planBid')}
        </Link>
      )}
    </article>
  );
}

export const GiftCard = memo(GiftCardView);

/** The most an account of mine may still buy, and the latest lock still in force, across my accounts. */
export function giftLimits(g: Gift, nowSecs: number): { perUserRemains: number | null; lockedUntil: number | null } {
  let perUserRemains: number | null = null;
  let lockedUntil: number | null = null;
  for (const a of g.accounts ?? []) {
    if (a.per_user_remains !== null) perUserRemains = Math.max(perUserRemains ?? 0, a.per_user_remains);
    if (a.locked_until !== null && a.locked_until > nowSecs) lockedUntil = Math.max(lockedUntil ?? 0, a.locked_until);
  }
  return { perUserRemains, lockedUntil };
}
