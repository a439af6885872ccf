import { useEffect, useRef, useState } from 'react';
import type { AnimationItem } from 'lottie-web';
import type { BigId } from '../api/json';
import { stickerSlots } from '../lib/animationSlots';
import { loadLottie, loadSticker } from '../lib/stickers';
import { GiftIcon } from './Icons';

/**
 * A gift's animated sticker. It loads only once the card scrolls into view, plays only while
 * visible, and takes one of the panel's limited animation slots while it plays.
 */
export function Sticker({ giftId, label }: { giftId: BigId; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) setVisible(e.isIntersecting);
    }, { rootMargin: '100px' });
    io.observe(el);
    return () => io.disconnect();
  }, []);

  const anim = useRef<AnimationItem | null>(null);
  useEffect(() => {
    if (!visible || failed) return;
    let cancelled = false;
    const release = stickerSlots.acquire(() => {
      if (anim.current) {
        anim.current.play();
        return;
      }
      Promise.all([loadLottie(), loadSticker(giftId)])
        .then(([lottie, data]) => {
          if (cancelled || !box.current || anim.current) return;
          anim.current = lottie.loadAnimation({
            container: box.current,
            renderer: 'svg',
            loop: true,
            autoplay: true,
            animationData: data,
            rendererSettings: { progressiveLoad: true },
          });
        })
        .catch(() => !cancelled && setFailed(true));
    });
    return () => {
      cancelled = true;
      anim.current?.pause();
      release();
    };
  }, [visible, failed, giftId]);

  useEffect(
    () => () => {
      anim.current?.destroy();
      anim.current = null;
    },
    [],
  );

  return (
    <div ref={box} className="sticker" role="img" aria-label={label} data-playing={visible && !failed ? 'true' : 'false'}>
      {failed && <GiftIcon size={64} />}
    </div>
  );
}
