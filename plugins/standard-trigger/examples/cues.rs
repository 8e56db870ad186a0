//! Print the cue hits of each argument: `cargo run -p standard-trigger --example cues -- "text"`.
fn main() {
    for text in std::env::args().skip(1) {
        let m = standard_trigger::text::Msg::new(0, &text);
        println!("{text}\n  {:?}", m.explain());
    }
}
