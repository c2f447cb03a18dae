//! A phone not yet updated pushes answers on the previous questionnaire version (apvf-2026.1):
//! the server accepts what the migration map carries to a current question and option, stores it
//! as sent, and still refuses ids no version knew. Run against SQLite and PostgreSQL.
//!
//! The PostgreSQL cases need `AROBASE_TEST_POSTGRES_URL` (see tests/sync.rs).

mod common;

use common::{Backend, TestServer};
use diagnostic::sync::Operation;
use reqwest::StatusCode;

/// `op` re-aimed at a question id and option of the previous content version.
fn on_2026_1(mut op: Operation, question: &str, option: &str) -> Operation {
    op.question = question.into();
    op.option = Some(option.into());
    op
}

async fn answers_on_the_previous_version_are_accepted(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut phone = server.create_town("35024", "Laurence").await;
    let ops = vec![
        on_2026_1(phone.answer(0, Some(0), &[]), "secu-dpo", "stage-3"),
        on_2026_1(phone.answer(0, Some(0), &[]), "demat-sve", "not-applicable"),
        on_2026_1(phone.answer(0, Some(0), &[]), "plan:secu-registre", "todo"),
    ];
    let (status, ack) = server.push(&phone, &ops).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["acknowledged"].as_array().unwrap().len(), 3);
    // Stored as sent: a phone on the current version migrates them when it pulls them.
    let pulled = server.pull_all(&phone, 100).await;
    assert_eq!(pulled, ops);
    let q = diagnostic::questionnaire();
    let moved: Vec<(String, Option<String>)> = pulled
        .into_iter()
        .map(|op| op.upgraded(q))
        .map(|op| (op.question, op.option))
        .collect();
    assert_eq!(
        moved,
        [
            (
                "secu-dpo-designation".to_string(),
                Some("duty-yes".to_string())
            ),
            (
                "demat-saisine-electronique".to_string(),
                Some("dont-know".to_string())
            ),
            (
                "plan:secu-registre-traitements".to_string(),
                Some("todo".to_string())
            ),
        ]
    );
}

async fn ids_no_version_knew_are_still_refused(backend: Backend) {
    let server = TestServer::start_backend(backend).await;
    let mut phone = server.create_town("35024", "Laurence").await;
    for (question, option) in [("secu-ghost", "stage-1"), ("secu-dpo", "duty-perhaps")] {
        let op = on_2026_1(phone.answer(0, Some(0), &[]), question, option);
        let (status, body) = server.push(&phone, &[op]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{question}: {body}");
    }
    assert!(server.pull_all(&phone, 100).await.is_empty());
}

mod sqlite {
    #[tokio::test]
    async fn answers_on_the_previous_version_are_accepted() {
        super::answers_on_the_previous_version_are_accepted(super::Backend::Sqlite).await
    }
    #[tokio::test]
    async fn ids_no_version_knew_are_still_refused() {
        super::ids_no_version_knew_are_still_refused(super::Backend::Sqlite).await
    }
}

mod postgres {
    #[tokio::test]
    async fn answers_on_the_previous_version_are_accepted() {
        super::answers_on_the_previous_version_are_accepted(super::Backend::Postgres).await
    }
    #[tokio::test]
    async fn ids_no_version_knew_are_still_refused() {
        super::ids_no_version_knew_are_still_refused(super::Backend::Postgres).await
    }
}
