//! A multinomial logistic-regression text classifier over hashed features (stemmed word
//! unigrams and bigrams, character 3–5-grams; [`fold::features`]), trained at build
//! time (`build.rs`, `training/train.rs`) on thousands of messages generated from the
//! templates in `training/*.txt` (`training/gen.rs`), and compiled in as a static `i8`
//! table. Labels: seven reasons (repetition and low confidence stay rule-based) and
//! `none`. Beside the rules it adds recall where no rule fired, confirms weak cues, and
//! names the reason when the bot itself hands off.

use crate::fold;
use crate::text::Msg;

include!(concat!(env!("OUT_DIR"), "/classifier_gen.rs"));

/// The label a message most resembles and the model's probability for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    /// The best label (`none`, or a reason's `snake_case` name).
    pub label: &'static str,
    /// Its probability (softmax over the labels).
    pub prob: f32,
    /// Probability of `none`.
    pub none: f32,
}

/// Logits of every label (in [`LABELS`] order) for a sequence of folded words.
pub fn logits<'a>(words: impl Iterator<Item = &'a str>) -> [f32; LABEL_COUNT] {
    let mut feats = Vec::with_capacity(256);
    fold::features(words, &mut feats);
    let mut sums = [0i32; LABEL_COUNT];
    for f in feats {
        let row = f as usize * LABEL_COUNT;
        if let Some(ws) = WEIGHTS.get(row..row + LABEL_COUNT) {
            for (s, w) in sums.iter_mut().zip(ws) {
                *s += i32::from(*w as i8);
            }
        }
    }
    let mut out = BIAS;
    for (o, s) in out.iter_mut().zip(sums) {
        *o += s as f32 / SCALE;
    }
    out
}

/// Probabilities of every label (in [`LABELS`] order).
pub fn probabilities(m: &Msg) -> [f32; LABEL_COUNT] {
    softmax(logits(m.words()))
}

fn softmax(mut v: [f32; LABEL_COUNT]) -> [f32; LABEL_COUNT] {
    let max = v.iter().copied().fold(f32::MIN, f32::max);
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
    v
}

/// Index of `none` in [`LABELS`].
fn none_index() -> usize {
    LABELS.iter().position(|l| *l == "none").unwrap_or(0)
}

/// Classify a folded text (for tools and tests).
pub fn classify_text(text: &str) -> Guess {
    let m = Msg::new(0, text);
    classify(&m)
}

/// Classify one analysed message.
pub fn classify(m: &Msg) -> Guess {
    guess(probabilities(m))
}

fn guess(p: [f32; LABEL_COUNT]) -> Guess {
    let (best, prob) = p
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b });
    Guess {
        label: LABELS[best],
        prob,
        none: p[none_index()],
    }
}
