//! Trains the classifier at build time (included by `build.rs`): multinomial logistic
//! regression over hashed features (`fold::features`), plain SGD with a seeded shuffle,
//! so the weights are the same on every build. Weights are quantised to `i8` with one
//! scale and written as a byte file, `[bucket][label]`, that the plugin includes.

use crate::fold;
use crate::gen::Corpus;

/// Passes over the training split.
const EPOCHS: usize = 10;
/// Initial learning rate (decays as 1 / (1 + epoch / 2)).
const RATE: f32 = 0.08;
/// L2 shrink applied to the weights a step touches.
const DECAY: f32 = 4e-3;

/// The trained model.
pub struct Model {
    /// Bias per label.
    pub bias: Vec<f32>,
    /// Weights, `[bucket * labels + label]`, quantised.
    pub weights: Vec<i8>,
    /// Divide a quantised sum by this to get a logit.
    pub scale: f32,
    /// Training examples used.
    pub trained_on: usize,
}

/// Features of a text, as `fold::features` computes them on the folded words.
pub fn text_features(text: &str) -> Vec<u32> {
    let mut buf = String::new();
    let mut spans = Vec::new();
    fold::tokenize(text, &mut buf, &mut spans);
    let mut out = Vec::new();
    fold::features(
        spans.iter().map(|s| &buf[s.start as usize..s.end as usize]),
        &mut out,
    );
    out
}

/// Train on the non-validation examples of `corpus`.
pub fn train(corpus: &Corpus) -> Model {
    let k = corpus.labels.len();
    let buckets = 1usize << fold::FEATURE_BITS;
    let data: Vec<(Vec<u32>, usize)> = corpus
        .examples
        .iter()
        .filter(|e| !e.validation)
        .map(|e| (text_features(&e.text), e.label))
        .collect();
    let mut w = vec![0f32; buckets * k];
    let mut bias = vec![0f32; k];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut p = vec![0f32; k];
    for epoch in 0..EPOCHS {
        for i in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let rate = RATE / (1.0 + epoch as f32 / 2.0);
        for &n in &order {
            let (feats, label) = &data[n];
            p.copy_from_slice(&bias);
            for &f in feats {
                let row = f as usize * k;
                for c in 0..k {
                    p[c] += w[row + c];
                }
            }
            let max = p.iter().copied().fold(f32::MIN, f32::max);
            let mut sum = 0.0;
            for v in p.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            for (c, v) in p.iter_mut().enumerate() {
                *v = *v / sum - if c == *label { 1.0 } else { 0.0 };
            }
            for &f in feats {
                let row = f as usize * k;
                for c in 0..k {
                    let g = p[c] + DECAY * w[row + c];
                    w[row + c] -= rate * g;
                }
            }
            for c in 0..k {
                bias[c] -= rate * p[c];
            }
        }
    }
    let max = w.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    let scale = 127.0 / max;
    let weights = w
        .iter()
        .map(|v| (v * scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    Model {
        bias,
        weights,
        scale,
        trained_on: data.len(),
    }
}
