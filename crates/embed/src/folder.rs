//! Reading a sentence-transformers model folder beyond the BERT itself: which modules run
//! (`modules.json`), how tokens are pooled (`1_Pooling/config.json`), the query and passage
//! prefixes (`config_sentence_transformers.json`'s `prompts`, or kb's own `kb.json`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::{EmbedError, Pooling};

/// kb's own settings file in a model folder (optional): see [`Settings`].
pub(crate) const KB_JSON: &str = "kb.json";

/// What the folder says about everything after the transformer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) pooling: Pooling,
    /// Whether `modules.json` lists a Normalize module (or there is no `modules.json`).
    pub(crate) normalize: bool,
    pub(crate) query_prefix: String,
    pub(crate) passage_prefix: String,
    /// The name `kb.json` gives the model, if any.
    pub(crate) name: Option<String>,
}

#[derive(Deserialize)]
struct Module {
    #[serde(default)]
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

/// `1_Pooling/config.json`: one `pooling_mode_*` flag set.
#[derive(Deserialize)]
struct PoolingConfig {
    word_embedding_dimension: Option<usize>,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
    #[serde(default = "yes")]
    include_prompt: bool,
}

fn yes() -> bool {
    true
}

/// `config_sentence_transformers.json`: only its prompts matter here.
#[derive(Deserialize)]
struct StConfig {
    #[serde(default)]
    prompts: BTreeMap<String, String>,
}

/// `kb.json`: a name and the prefixes, for folders whose own files do not say them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KbJson {
    name: Option<String>,
    query_prefix: Option<String>,
    passage_prefix: Option<String>,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<T, EmbedError> {
    let text = crate::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| EmbedError::format(path, format!("not {what}: {e}")))
}

/// `sentence_bert_config.json`'s `max_seq_length`, or 256 if there is no such file.
pub(crate) fn max_seq_length(model_dir: &Path) -> Result<usize, EmbedError> {
    let path = model_dir.join("sentence_bert_config.json");
    if !path.exists() {
        return Ok(crate::DEFAULT_MAX_SEQ_LENGTH);
    }
    let value: serde_json::Value = read_json(&path, "JSON")?;
    match value["max_seq_length"].as_u64() {
        Some(n) if n >= 2 => Ok(n as usize),
        _ => Err(EmbedError::format(&path, "max_seq_length is not a number of at least 2")),
    }
}

/// Reads the settings of the model folder `dir`, whose transformer has `hidden` dimensions.
pub(crate) fn read(dir: &Path, hidden: usize) -> Result<Settings, EmbedError> {
    // Without modules.json (a plain BERT folder): mean pooling, normalized.
    let mut pooling_dir = dir.join("1_Pooling");
    let mut normalize = true;
    let modules_path = dir.join("modules.json");
    if modules_path.is_file() {
        let modules: Vec<Module> = read_json(&modules_path, "a modules.json list")?;
        let mut pooling_seen = false;
        normalize = false;
        for (i, module) in modules.iter().enumerate() {
            let kind = module.kind.rsplit('.').next().unwrap_or("");
            match kind {
                "Transformer" if i == 0 && module.path.is_empty() => {}
                "Transformer" => {
                    return Err(EmbedError::format(
                        &modules_path,
                        format!(
                            "the transformer is expected first and in the folder itself, not in \
                             {:?}",
                            module.path
                        ),
                    ))
                }
                "Pooling" if !pooling_seen => {
                    pooling_seen = true;
                    pooling_dir = dir.join(&module.path);
                }
                "Normalize" => normalize = true,
                _ => {
                    return Err(EmbedError::format(
                        &modules_path,
                        format!(
                            "module {:?} is not supported (kb runs a BERT transformer, one Pooling \
                             and Normalize)",
                            module.kind
                        ),
                    ))
                }
            }
        }
        if !pooling_seen {
            return Err(EmbedError::format(&modules_path, "no Pooling module"));
        }
    }
    let pooling_path = pooling_dir.join("config.json");
    let pooling = if pooling_path.is_file() {
        pooling_mode(&pooling_path, hidden)?
    } else if modules_path.is_file() {
        // modules.json lists a Pooling module: its configuration must be there.
        return Err(EmbedError::io(
            &pooling_path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "the Pooling module's config"),
        ));
    } else {
        Pooling::Mean
    };

    let mut settings = Settings {
        pooling,
        normalize,
        query_prefix: String::new(),
        passage_prefix: String::new(),
        name: None,
    };
    let st_path = dir.join("config_sentence_transformers.json");
    if st_path.is_file() {
        let st: StConfig = read_json(&st_path, "a sentence-transformers config")?;
        if let Some(query) = st.prompts.get("query") {
            settings.query_prefix = query.clone();
        }
        if let Some(passage) =
            ["passage", "document", "corpus"].iter().find_map(|k| st.prompts.get(*k))
        {
            settings.passage_prefix = passage.clone();
        }
    }
    let kb_path = dir.join(KB_JSON);
    if kb_path.is_file() {
        let kb: KbJson =
            read_json(&kb_path, "kb's model settings (name, query_prefix, passage_prefix)")?;
        if let Some(name) = kb.name {
            if name.trim().is_empty() {
                return Err(EmbedError::format(&kb_path, "the name is empty"));
            }
            settings.name = Some(name);
        }
        settings.query_prefix = kb.query_prefix.unwrap_or(settings.query_prefix);
        settings.passage_prefix = kb.passage_prefix.unwrap_or(settings.passage_prefix);
    }
    Ok(settings)
}

/// The pooling `1_Pooling/config.json` at `path` asks for; an error for modes kb does not run.
fn pooling_mode(path: &Path, hidden: usize) -> Result<Pooling, EmbedError> {
    let config: PoolingConfig = read_json(path, "a pooling config")?;
    if let Some(dim) = config.word_embedding_dimension {
        if dim != hidden {
            return Err(EmbedError::format(
                path,
                format!("word_embedding_dimension {dim} is not the model's hidden_size {hidden}"),
            ));
        }
    }
    if !config.include_prompt {
        return Err(EmbedError::format(path, "include_prompt false is not supported"));
    }
    if config.pooling_mode_weightedmean_tokens || config.pooling_mode_lasttoken {
        return Err(EmbedError::format(
            path,
            "weighted-mean and last-token pooling are not supported (mean, cls or max)",
        ));
    }
    if config.pooling_mode_mean_tokens && config.pooling_mode_mean_sqrt_len_tokens {
        return Err(EmbedError::format(
            path,
            "several pooling modes at once (concatenated) are not supported",
        ));
    }
    // Mean and mean/√length differ by a factor that L2 normalization removes.
    let mean = config.pooling_mode_mean_tokens || config.pooling_mode_mean_sqrt_len_tokens;
    let modes = [
        (config.pooling_mode_cls_token, Pooling::Cls),
        (mean, Pooling::Mean),
        (config.pooling_mode_max_tokens, Pooling::Max),
    ];
    let mut set = modes.iter().filter(|(on, _)| *on).map(|(_, p)| *p);
    match (set.next(), set.next()) {
        (Some(pooling), None) => Ok(pooling),
        (None, _) => Err(EmbedError::format(path, "no pooling mode is set")),
        (Some(_), Some(_)) => Err(EmbedError::format(
            path,
            "several pooling modes at once (concatenated) are not supported",
        )),
    }
}
