/** Small inline icons, so nothing depends on an emoji font being installed. */
export function GiftIcon({ size = 20 }: { size?: number }) {
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="3" y="9" width="18" height="4" rx="1" fill="currentColor" opacity="0.85" />
      <rect x="4.5" y="13" width="15" height="8" rx="1" fill="currentColor" opacity="0.6" />
      <rect x="11" y="9" width="2" height="12" fill="var(--bg)" />
      <path d="M12 9C10 5 6.5 4.5 6.5 6.8 6.5 8.5 9.5 9 12 9Zm0 0c2-4 5.5-4.5 5.5-2.2C17.5 8.5 14.5 9 12 9Z" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

/** A star amount: the icon and the formatted number. */
export function Stars({ value }: { value: string }) {
  return (
    <span className="stars">
      <span className="star" aria-hidden="true">
        ★
      </span>
      {value}
    </span>
  );
}
