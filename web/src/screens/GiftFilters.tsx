import { useId } from 'react';
import { Checkbox } from '../components/Field';
import { useI18n } from '../i18n';
import type { GiftFilter, GiftSort } from '../lib/giftFilters';

const SORTS: GiftSort[] = ['newest', 'price_asc', 'price_desc', 'remaining_asc', 'supply_asc'];

export function GiftFilters({ value, onChange }: { value: GiftFilter; onChange: (f: GiftFilter) => void }) {
  const { t } = useI18n();
  const id = useId();
  const set = <K extends keyof GiftFilter>(k: K, v: GiftFilter[K]) => onChange({ ...value, [k]: v });
  const range = (label: string, min: 'priceMin' | 'supplyMin', max: 'priceMax' | 'supplyMax') => (
    <fieldset className="range">
      <legend>{label}</legend>
      <input type="number" min={0} inputMode="numeric" placeholder={t('common.min')} aria-label={`${label} ${t('common.min')}`} value={value[min]} onChange={(e) => set(min, e.target.value)} />
      <span aria-hidden="true">–</span>
      <input type="number" min={0} inputMode="numeric" placeholder={t('common.max')} aria-label={`${label} ${t('common.max')}`} value={value[max]} onChange={(e) => set(max, e.target.value)} />
    </fieldset>
  );
  return (
    <div className="filters" role="search">
      <div className="field field-inline">
        <label htmlFor={`${id}-sort`}>{t('gifts.sort')}</label>
        <select id={`${id}-sort`} value={value.sort} onChange={(e) => set('sort', e.target.value as GiftSort)}>
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {t(`gifts.sort.${s}`)}
            </option>
          ))}
        </select>
      </div>
      <Checkbox label={t('gifts.limitedOnly')} checked={value.limitedOnly} onChange={(e) => set('limitedOnly', e.target.checked)} />
      <Checkbox label={t('gifts.inStock')} checked={value.inStock} onChange={(e) => set('inStock', e.target.checked)} />
      <Checkbox label={t('gifts.premiumOnlyFilter')} checked={value.premiumOnly} onChange={(e) => set('premiumOnly', e.target.checked)} />
      {range(t('gifts.price'), 'priceMin', 'priceMax')}
      {range(t('gifts.supply'), 'supplyMin', 'supplyMax')}
    </div>
  );
}
