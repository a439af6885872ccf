//! Gift stickers: a small Lottie animation per gift, and its `.tgs` form (gzipped Lottie JSON).

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;
use giftbuyer_core::GiftId;
use serde_json::{Value, json};

use crate::rng::{SplitMix64, key};

/// Telegram's animated stickers are 512×512 at up to 60 frames per second and at most three
/// seconds long; this one loops over two seconds.
const SIZE: u32 = 512;
const FRAME_RATE: u32 = 60;
const FRAMES: u32 = 120;

/// Tag that keeps sticker colours apart from every other keyed draw.
const COLOR_TAG: u64 = 0x434F_4C4F_5552_0000;

/// The animation of a gift's sticker: a star whose colour and number of points come from the
/// gift's id, turning once and pulsing in size over the loop.
pub fn lottie_json(gift_id: GiftId) -> Value {
    let mut rng = SplitMix64::keyed(0, &[COLOR_TAG, key(gift_id.get())]);
    let hue = rng.next_f64();
    let [red, green, blue] = hue_to_rgb(hue);
    let points = 5 + rng.below(4);
    let keyframe = |frame: u32, value: Value| {
        json!({
            "t": frame,
            "s": value,
            "i": {"x": [0.667], "y": [1.0]},
            "o": {"x": [0.333], "y": [0.0]}
        })
    };
    let center = f64::from(SIZE) / 2.0;
    // Built in parts: one `json!` for the whole document exceeds the macro recursion limit.
    let transform = json!({
        "o": {"a": 0, "k": 100},
        "r": {"a": 1, "k": [keyframe(0, json!([0])), keyframe(FRAMES, json!([360]))]},
        "p": {"a": 0, "k": [center, center, 0]},
        "a": {"a": 0, "k": [0, 0, 0]},
        "s": {"a": 1, "k": [
            keyframe(0, json!([100, 100, 100])),
            keyframe(FRAMES / 2, json!([120, 120, 100])),
            keyframe(FRAMES, json!([100, 100, 100]))
        ]}
    });
    let star = json!({
        "ty": "sr",
        "nm": "star",
        "sy": 1,
        "d": 1,
        "pt": {"a": 0, "k": points},
        "p": {"a": 0, "k": [0, 0]},
        "r": {"a": 0, "k": 0},
        "ir": {"a": 0, "k": 80},
        "is": {"a": 0, "k": 0},
        "or": {"a": 0, "k": 180},
        "os": {"a": 0, "k": 0}
    });
    let fill = json!({
        "ty": "fl",
        "nm": "fill",
        "c": {"a": 0, "k": [red, green, blue, 1]},
        "o": {"a": 0, "k": 100},
        "r": 1
    });
    let group_transform = json!({
        "ty": "tr",
        "nm": "transform",
        "p": {"a": 0, "k": [0, 0]},
        "a": {"a": 0, "k": [0, 0]},
        "s": {"a": 0, "k": [100, 100]},
        "r": {"a": 0, "k": 0},
        "o": {"a": 0, "k": 100},
        "sk": {"a": 0, "k": 0},
        "sa": {"a": 0, "k": 0}
    });
    let layer = json!({
        "ddd": 0,
        "ind": 1,
        "ty": 4,
        "nm": "star",
        "sr": 1,
        "ao": 0,
        "ip": 0,
        "op": FRAMES,
        "st": 0,
        "bm": 0,
        "ks": transform,
        "shapes": [{"ty": "gr", "nm": "body", "it": [star, fill, group_transform]}]
    });
    json!({
        "v": "5.7.4",
        "tgs": 1,
        "nm": format!("gift {gift_id}"),
        "fr": FRAME_RATE,
        "ip": 0,
        "op": FRAMES,
        "w": SIZE,
        "h": SIZE,
        "ddd": 0,
        "assets": [],
        "layers": [layer]
    })
}

/// The gift's sticker as a `.tgs` file: its Lottie JSON, gzipped.
///
/// The gzip header carries no timestamp, so the bytes depend on the gift id alone.
pub fn tgs(gift_id: GiftId) -> Vec<u8> {
    let json = lottie_json(gift_id).to_string();
    let mut encoder = GzEncoder::new(Vec::with_capacity(json.len() / 2), Compression::best());
    encoder
        .write_all(json.as_bytes())
        .expect("writing into a Vec cannot fail");
    encoder.finish().expect("writing into a Vec cannot fail")
}

/// A saturated, bright colour of the given hue in `[0, 1)`, as Lottie's `[0, 1]` channels
/// rounded to three decimals.
fn hue_to_rgb(hue: f64) -> [f64; 3] {
    let sector = hue * 6.0;
    let rise = sector.fract();
    let fall = 1.0 - rise;
    let [red, green, blue] = match sector as u32 {
        0 => [1.0, rise, 0.0],
        1 => [fall, 1.0, 0.0],
        2 => [0.0, 1.0, rise],
        3 => [0.0, fall, 1.0],
        4 => [rise, 0.0, 1.0],
        _ => [1.0, 0.0, fall],
    };
    // A touch of white keeps dark hues visible on Telegram's dark theme.
    [red, green, blue].map(|channel| ((0.2 + 0.8 * channel) * 1000.0).round() / 1000.0)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn tgs_is_gzipped_lottie_and_depends_on_the_gift() {
        let gift = GiftId::new(5_170_145_012_310_081_615).expect("valid");
        let bytes = tgs(gift);
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip magic");
        let mut json = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut json)
            .expect("gunzips");
        let value: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value, lottie_json(gift));
        assert_eq!(bytes, tgs(gift));
        let other = GiftId::new(7).expect("valid");
        assert_ne!(
            lottie_json(other)["layers"][0]["shapes"][0]["it"][1]["c"],
            value["layers"][0]["shapes"][0]["it"][1]["c"]
        );
        assert!(bytes.len() < 2048, "{} bytes", bytes.len());
    }

    #[test]
    fn colours_stay_in_range() {
        for step in 0..60 {
            for channel in hue_to_rgb(f64::from(step) / 60.0) {
                assert!((0.2..=1.0).contains(&channel), "{channel}");
            }
        }
    }
}
