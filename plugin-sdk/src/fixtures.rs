//! Conversation fixtures (`tests/fixtures/conversations/FORMAT.md`: one JSON conversation per line) and the scoring of a
//! trigger policy against their labels. The same code backs `baton replay`, so a policy
//! scores the same natively in your tests as in the host's sandbox.
//!
//! ```no_run
//! # use baton_plugin_sdk::{fixtures, Decision};
//! let conversations = fixtures::read_file("conversations.jsonl".as_ref()).unwrap();
//! let outcomes: Vec<_> = conversations
//!     .iter()
//!     .map(|c| fixtures::replay(c, |_conversation| Ok::<_, ()>(Decision::stay())).unwrap())
//!     .collect();
//! let score = fixtures::score(&conversations, &outcomes);
//! println!("f1 {:.3}", score.f1);
//! ```

mod format;
mod score;

pub use format::{parse_line, read_file, read_str, Expect, Fixture, FixtureError};
pub use score::{replay, score, Outcome, Score, Verdict};
