//! The README's settings section is a working file, like `examples/settings.json`.

use avc_order_sync::settings::Settings;

#[test]
fn the_readme_settings_example_parses_and_matches_its_table() {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("## Settings")
        .nth(1)
        .expect("the README has a Settings section");
    let json = section
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the Settings section has a JSON example");
    let settings = Settings::from_json(json).expect("the README's settings parse");
    assert!(settings.auto_acknowledge.direct_fulfillment);
    assert!(!settings.auto_acknowledge.retail_procurement);
    // Every top-level key of the example is documented in the table below it.
    for key in [
        "autoAcknowledge",
        "customers",
        "currencies",
        "items",
        "policies",
    ] {
        assert!(
            json.contains(&format!("\"{key}\"")),
            "{key} missing from the example"
        );
        assert!(
            section.contains(&format!("| `{key}.")),
            "{key} missing from the table"
        );
    }
}

#[test]
fn the_example_settings_file_parses() {
    let text = include_str!("../../../examples/settings.json");
    let settings = Settings::from_json(text).expect("examples/settings.json parses");
    assert!(settings.auto_acknowledge.direct_fulfillment);
}
