import { describe, expect, it } from 'vitest';
import { detectLang, dictionaries, translate } from '.';
import { en } from './en';
import { ru } from './ru';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it('has every key in both English and Russian, with no extras', () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
  });

  it('has no empty texts and the same placeholders in every language', () => {
    for (const [lang, dict] of Object.entries(dictionaries)) {
      for (const [key, text] of Object.entries(dict)) {
        expect(text.trim(), `${lang}:${key}`).not.toBe('');
        expect(placeholders(text), `${lang}:${key}`).toEqual(placeholders((en as Record<string, string>)[key]!));
      }
    }
  });

  it('covers every key the source uses', async () => {
    const files = import.meta.glob('../**/*.tsx', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
    const used = new Set<string>();
    for (const [path, src] of Object.entries(files)) {
      if (path.includes('.test.')) continue;
      for (const m of src.matchAll(/\bt\('([a-zA-Z]+\.[\w.]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    for (const key of used) expect(Object.keys(en), key).toContain(key);
  });

  it('detects the language from the browser list', () => {
    expect(detectLang(['ru-RU', 'en'])).toBe('ru');
    expect(detectLang(['de-DE', 'ru'])).toBe('ru');
    expect(detectLang(['de-DE'])).toBe('en');
    expect(detectLang([])).toBe('en');
  });

  it('fills placeholders and falls back to the key', () => {
    expect(translate('en', 'gifts.count', { shown: 2, total: 5 })).toBe('Showing 2 of 5');
    expect(translate('ru', 'gifts.count', { shown: 2, total: 5 })).toBe('Показано 2 из 5');
    expect(translate('ru', 'no.such.key')).toBe('no.such.key');
  });
});
