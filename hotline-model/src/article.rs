//! Knowledge-base articles (知识库): content, versions and lifecycle.
