/** "Chrome 156 · Linux" from a user agent string; the raw string when nothing is recognised. */
export function describeUserAgent(ua: string): string {
  const browsers: [RegExp, string][] = [
    [/Edg\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)/, 'Opera'],
    [/Firefox\/(\d+)/, 'Firefox'],
    [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
    [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari/, 'Safari'],
    [/curl\/([\d.]+)/, 'curl'],
  ];
  const systems: [RegExp, string][] = [
    [/Android/, 'Android'],
    [/iPhone|iPad|iPod/, 'iOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'],
    [/Linux/, 'Linux'],
  ];
  const browser = browsers.map(([re, name]) => {
    const m = ua.match(re);
    return m ? `${name} ${m[1]}` : null;
  }).find((x) => x !== null);
  const system = systems.find(([re]) => re.test(ua))?.[1];
  if (!browser) return ua;
  return system ? `${browser} · ${system}` : browser;
}
