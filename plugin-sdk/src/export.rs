//! The export macros. Defined on every target; they expand to nothing off `wasm32`.

/// Export a [`crate::TriggerPolicy`] as this component's `baton:policy/trigger` interface.
///
/// Invoke once, at the root of a `cdylib` crate built for `wasm32-wasip2`. On other
/// targets it expands to nothing, so the same crate also builds as a native library for
/// tests and benchmarks.
#[macro_export]
macro_rules! export_trigger {
    ($policy:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::guest::trigger_bindings::exports::baton::policy::trigger as __t;
            struct __BatonTrigger;
            impl __t::Guest for __BatonTrigger {
                fn configure(config: ::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::guest::configure_trigger::<$policy>(config)
                }
                fn evaluate(c: __t::Conversation) -> ::std::result::Result<__t::Decision, ::std::string::String> {
                    $crate::guest::evaluate_trigger::<$policy>(c)
                }
            }
            $crate::guest::trigger_bindings::__export_trigger_policy!(__BatonTrigger with_types_in $crate::guest::trigger_bindings);
        };
    };
}

/// Export a [`crate::RoutingPolicy`] as this component's `baton:policy/routing` interface.
///
/// Invoke once, at the root of a `cdylib` crate built for `wasm32-wasip2`; expands to
/// nothing on other targets.
#[macro_export]
macro_rules! export_routing {
    ($policy:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::guest::routing_bindings::exports::baton::policy::routing as __r;
            struct __BatonRouting;
            impl __r::Guest for __BatonRouting {
                fn configure(config: ::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::guest::configure_routing::<$policy>(config)
                }
                fn route(r: __r::Request, roster: __r::Roster) -> ::std::result::Result<__r::RouteChoice, ::std::string::String> {
                    $crate::guest::route::<$policy>(r, roster)
                }
            }
            $crate::guest::routing_bindings::__export_routing_policy!(__BatonRouting with_types_in $crate::guest::routing_bindings);
        };
    };
}
