import HTTPTypes

extension HTTPFields {
    /// `self[name]` without its cost in the usual case: the value of the one field named
    /// `name`, or nil. Several such fields are joined as `subscript(_:)` joins them; that
    /// subscript joins a copy of the values through a generic lazy sequence even for one,
    /// which showed in every request's profile.
    func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}
