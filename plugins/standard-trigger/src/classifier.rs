//! A small multinomial naive Bayes text classifier over stemmed word unigrams and
//! bigrams, trained at build time (`build.rs`) on the phrasings in `training/*.txt` and
//! compiled in as a static table sorted by feature hash. It is used beside the rules: to
//! confirm a reason when only weak cues are present, and to name the reason when the bot
//! itself has handed off.

use crate::fold;
use crate::text::Msg;

include!(concat!(env!("OUT_DIR"), "/classifier_gen.rs"));

/// The label a message most resembles and its margin over `none` (log-probability ×64).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    /// The best label (`none`, or a reason's `snake_case` name).
    pub label: &'static str,
    /// Score of the best label minus the score of `none`.
    pub margin: i32,
}

fn weights(hash: u64) -> &'static [i16; LABEL_COUNT] {
    match FEATURES.binary_search_by_key(&hash, |(h, _)| *h) {
        Ok(i) => &FEATURES[i].1,
        Err(_) => &UNSEEN,
    }
}

/// Score of every label (log-probability ×64, in [`LABELS`] order) for one message.
pub fn scores(m: &Msg) -> [i32; LABEL_COUNT] {
    let mut score: [i32; LABEL_COUNT] = PRIOR.map(i32::from);
    let words: Vec<&str> = m.words().map(fold::stem).collect();
    let mut hashes: Vec<u64> = words.iter().map(|w| fold::fnv1a(&[w])).collect();
    hashes.extend(words.windows(2).map(|p| fold::fnv1a(&[p[0], p[1]])));
    hashes.sort_unstable();
    hashes.dedup();
    for h in hashes {
        for (s, w) in score.iter_mut().zip(weights(h)) {
            *s += i32::from(*w);
        }
    }
    score
}

/// Classify one analysed message.
pub fn classify(m: &Msg) -> Guess {
    let score = scores(m);
    let none = LABELS
        .iter()
        .position(|l| *l == "none")
        .map(|i| score[i])
        .unwrap_or(i32::MIN / 2);
    let (best, top) = score
        .iter()
        .enumerate()
        .max_by_key(|(_, s)| **s)
        .map(|(i, s)| (i, *s))
        .unwrap_or((0, 0));
    Guess {
        label: LABELS[best],
        margin: top - none,
    }
}
