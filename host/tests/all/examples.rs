//! The teaching examples (`host/examples/channel.rs`, `host/examples/agent_tool.rs`) run
//! against the real server on loopback: the channel posts a conversation that asks for a
//! person while the agent tool takes the offer, replies and resolves, and each sees the
//! other's side. Their source is compiled here as modules, so this also checks they build.

#[allow(dead_code)]
#[path = "../../examples/agent_tool.rs"]
mod agent_tool;
#[allow(dead_code)]
#[path = "../../examples/channel.rs"]
mod channel;

use crate::host::TestHost;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_and_agent_tool_examples_hand_a_conversation_over() {
    let h = TestHost::start(&[]).await;
    let channel_key = h.channel("acme-plumbing").await;
    let sam_key = h.agent("acme-plumbing", "sam").await;
    let url = h.url.clone();
    let agent = tokio::spawn({
        let url = url.clone();
        async move { agent_tool::run(&url, &sam_key, 60).await }
    });
    let conversation = channel::run(&url, &channel_key, 60)
        .await
        .expect("the channel example runs");
    let resolved = agent.await.unwrap().expect("the agent tool example runs");
    assert_eq!(resolved["state"], "resolved", "{resolved}");
    let messages = conversation["messages"].as_array().unwrap();
    let agent_said: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "agent")
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(agent_said.len(), 1, "{conversation}");
    assert!(
        agent_said[0].starts_with("Hi Dana"),
        "the agent replied with the read-back: {agent_said:?}"
    );
}
