//! The provider conformance suite: one list of scenarios, run against every provider through
//! its own sandbox over real HTTP (as rclone's fstests are for its backends).
//!
//! A provider joins by implementing [`fixture::Fixture`] (how to start its sandbox) and one
//! `conformance!` line below. Scenarios branch on `Capabilities` only, never on the
//! provider: a capability a provider lacks is asserted to fail with a clean `Unsupported`,
//! not skipped.

#[path = "../common/mod.rs"]
mod common;
#[path = "../uploads_common/mod.rs"]
mod uploads_common;

mod fixture;
mod scenarios;

/// Expands every scenario into one test per provider: `<provider>::<scenario>`.
macro_rules! conformance {
    ($provider:ident, $fixture:ty) => {
        mod $provider {
            use super::scenarios as s;
            type F = $fixture;

            macro_rules! scenario {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        s::$name::<F>().await
                    }
                };
            }

            scenario!(sign_in_and_sign_in_errors);
            scenario!(two_factor_sign_in);
            scenario!(listing_odd_names);
            scenario!(listing_pages);
            scenario!(mkdir_rename_move_copy_delete);
            scenario!(trash_or_unsupported);
            scenario!(missing_capabilities_are_unsupported);
            scenario!(search_finds_nested_files);
            scenario!(thumbnails_or_unsupported);
            scenario!(upload_sizes_on_every_policy);
            scenario!(upload_conflicts_are_settled_before_bytes_go);
            scenario!(ranged_and_resumed_download);
            scenario!(shares_create_list_delete);
            scenario!(remote_download_or_unsupported);
            scenario!(webdav_accounts_or_unsupported);
            scenario!(errors_are_typed);
            scenario!(uploads_survive_faults);
            scenario!(upload_resumes_after_a_restart);
            scenario!(versions_or_unsupported);
            scenario!(search_filters_or_unsupported);
        }
    };
}

conformance!(cloudreve_v4, crate::fixture::CloudreveV4);
conformance!(cloudreve_v3, crate::fixture::CloudreveV3);
conformance!(pan123, crate::fixture::Pan123);
