import type { DaySpending } from '../api/types';
import { useI18n } from '../i18n';

const W = 640;
const H = 180;
const PAD = { top: 12, right: 8, bottom: 24, left: 44 };

/** Nice round upper bound for the axis: 1, 2 or 5 times a power of ten. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * p >= value) return m * p;
  return 10 * p;
}

/** Stars spent per day as a bar chart; a table with the same data is provided for screen readers. */
export function SpendingChart({ days }: { days: DaySpending[] }) {
  const { t, num } = useI18n();
  const max = niceMax(Math.max(0, ...days.map((d) => d.stars)));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = days.length > 0 ? innerW / days.length : innerW;
  const barW = Math.max(2, slot * 0.7);
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('purchases.chartLabel')}>
        {[0, 0.5, 1].map((f) => {
          const y = PAD.top + innerH * (1 - f);
          return (
            <g key={f} className="chart-grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end">
                {num(Math.round(max * f))}
              </text>
            </g>
          );
        })}
        {days.map((d, i) => {
          const h = (d.stars / max) * innerH;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g key={d.date}>
              <rect className="chart-bar" x={x} y={PAD.top + innerH - h} width={barW} height={Math.max(0, h)} rx={2}>
                <title>{`${d.date}: ★ ${num(d.stars)} (${d.purchases})`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text className="chart-label" x={x + barW / 2} y={H - 6} textAnchor="middle">
                  {d.date.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <table className="sr-only">
        <caption>{t('purchases.chartLabel')}</caption>
        <tbody>
          {days.map((d) => (
            <tr key={d.date}>
              <th scope="row">{d.date}</th>
              <td>{d.stars}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
