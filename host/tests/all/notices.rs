//! Notices in the customer's language: a Spanish-speaking customer is told in Spanish who is
//! coming, and a tenant's own Spanish text replaces the built-in one (issue 17, item 7).

use crate::host::TestHost;
use crate::lifecycle::always_open_tenant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_speaking_customer_is_told_in_spanish() {
    let own = always_open_tenant().replace(
        "[trigger]\n",
        "[notices.es]\noffered = \"Un momento: {agent_first_name} le atiende enseguida.\"\n\n[trigger]\n",
    );
    let h = TestHost::start(&[
        ("es-plumbing", &always_open_tenant()),
        ("es-own-plumbing", &own),
    ])
    .await;
    for (tenant, want) in [
        (
            "es-plumbing",
            "Le estoy comunicando ahora con Sam, de Acme Plumbing.",
        ),
        ("es-own-plumbing", "Un momento: Sam le atiende enseguida."),
    ] {
        let channel = h.channel(tenant).await;
        let sam = h.agent(tenant, "sam").await;
        h.available(&sam, "sam").await;
        let opened = h
            .customer_says(
                &channel,
                "es-1",
                "hola, necesito hablar con una persona por favor, no con un robot",
            )
            .await;
        assert_eq!(opened["decision"]["escalate"], true, "{opened}");
        let tags = opened["decision"]["tags"].to_string();
        assert!(tags.contains("spanish"), "{opened}");
        assert_eq!(opened["handoff"]["offered_to"], "sam", "{opened}");
        assert_eq!(opened["notice"]["language"], "es", "{opened}");
        assert_eq!(opened["notice"]["text"], want, "{opened}");
        // An English-speaking customer of the same tenant is told in English.
        let english = h
            .customer_says(&channel, "en-1", "can I please talk to a real person")
            .await;
        assert_eq!(english["notice"]["language"], "en", "{english}");
        assert!(
            english["notice"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(" you")),
            "{english}"
        );
    }
}
