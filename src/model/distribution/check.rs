//! Parameter checks shared by the model's validating constructors, so every
//! rejection reads the same way: `must be > 0 (got -1)`.

use crate::model::ParamError;

/// `value` if it is finite and > 0.
pub(crate) fn positive(field: &str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else if value.is_finite() {
        Err(ParamError::new(field, format!("must be > 0 (got {value})")))
    } else {
        Err(ParamError::new(
            field,
            format!("must be a finite number > 0 (got {value})"),
        ))
    }
}

/// `value` if it is finite and >= 0.
pub(crate) fn non_negative(field: &str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ParamError::new(
            field,
            format!("must be a finite number >= 0 (got {value})"),
        ))
    }
}

/// `value` if it is finite (any sign).
pub(crate) fn finite(field: &str, value: f64) -> Result<f64, ParamError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ParamError::new(
            field,
            format!("must be a finite number (got {value})"),
        ))
    }
}

/// `value` if it lies in `[0, 1]`.
pub(crate) fn probability(field: &str, value: f64) -> Result<f64, ParamError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(ParamError::new(
            field,
            format!("must be between 0 and 1 (got {value})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_bound_and_the_value() {
        let err = positive("cv", -1.0).unwrap_err();
        assert_eq!(err, ParamError::new("cv", "must be > 0 (got -1)"));
        let err = positive("mean", f64::INFINITY).unwrap_err();
        assert_eq!(err.message, "must be a finite number > 0 (got inf)");
        let err = non_negative("low", f64::NAN).unwrap_err();
        assert_eq!(err.message, "must be a finite number >= 0 (got NaN)");
        assert_eq!(finite("phase_s", -3.5), Ok(-3.5));
        assert_eq!(
            probability("share", 1.5).unwrap_err().message,
            "must be between 0 and 1 (got 1.5)"
        );
    }
}
