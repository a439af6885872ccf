import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey } from './en';
import { ru } from './ru';

export type Lang = 'en' | 'ru';
export type { MessageKey };
export const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, ru };
const STORAGE_KEY = 'giftbuyer.lang';

/** The first of the browser's languages that the panel speaks, English otherwise. */
export function detectLang(languages: readonly string[]): Lang {
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ru') return 'ru';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export type Vars = Record<string, string | number>;

/** Looks a key up and fills `{name}` placeholders; an unknown key shows as itself. */
export function translate(lang: Lang, key: string, vars?: Vars): string {
  const dict = dictionaries[lang] as Record<string, string>;
  const text = dict[key] ?? (en as Record<string, string>)[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  /** For keys computed at run time (validation messages, server stages). */
  tk: (key: string, vars?: Vars) => string;
  num: (n: number) => string;
  date: (secs: number) => string;
  dateTime: (secs: number) => string;
}

const Ctx = createContext<I18n | null>(null);

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'ru') return saved;
  } catch {
    /* storage can be disabled */
  }
  return detectLang(typeof navigator !== 'undefined' ? (navigator.languages ?? [navigator.language]) : []);
}

export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => fixed ?? initialLang());
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      /* ignore */
    }
  }, []);
  const value = useMemo<I18n>(() => {
    const locale = lang === 'ru' ? 'ru-RU' : 'en-US';
    const nf = new Intl.NumberFormat(locale);
    const df = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    const dtf = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    return {
      lang,
      setLang,
      t: (key, vars) => translate(lang, key, vars),
      tk: (key, vars) => translate(lang, key, vars),
      num: (n) => nf.format(n),
      date: (secs) => df.format(new Date(secs * 1000)),
      dateTime: (secs) => dtf.format(new Date(secs * 1000)),
    };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Ctx);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
