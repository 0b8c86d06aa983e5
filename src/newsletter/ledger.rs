//! The ledger: which articles each past edition carried.
//!
//! It is what makes "no article missed or sent twice" hold when the job
//! runs late, twice, or skips a day: an edition carries what no earlier
//! edition carried. It lives beside the editions as `ledger.json`, written
//! atomically with them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// In date order.
    pub editions: Vec<Entry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub date: NaiveDate,
    pub cutoff: DateTime<Utc>,
    /// Ids of the articles carried, in the order of the edition.
    pub articles: Vec<String>,
    /// What the archive page and the feed of editions show. Absent from
    /// ledgers written before they existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub preheader: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headlines: Vec<Headline>,
}

/// An article of a past edition, as its archive lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    pub title: String,
    pub url: String,
}

impl Ledger {
    pub fn parse(text: &str) -> Result<Ledger, String> {
        let l: Ledger = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if l.editions.windows(2).any(|w| w[0].date >= w[1].date) {
            return Err("editions are not in date order".into());
        }
        // A damaged or edited ledger must not carry a date the feed of
        // editions cannot write.
        for e in &l.editions {
            crate::content::date::day_in_range(e.date)
                .and_then(|_| crate::content::date::in_range(e.cutoff, chrono_tz::UTC))
                .map_err(|why| format!("the edition of {}: its date is {why}", e.date))?;
        }
        Ok(l)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a ledger serialises");
        s.push('\n');
        s
    }

    pub fn get(&self, date: NaiveDate) -> Option<&Entry> {
        self.editions.iter().find(|e| e.date == date)
    }

    pub fn first(&self) -> Option<&Entry> {
        self.editions.first()
    }

    pub fn last(&self) -> Option<&Entry> {
        self.editions.last()
    }

    /// Whether an earlier edition carried this article.
    pub fn carried(&self, id: &str) -> bool {
        self.editions
            .iter()
            .any(|e| e.articles.iter().any(|a| a == id))
    }
}
