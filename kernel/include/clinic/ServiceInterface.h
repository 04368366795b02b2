#pragma once

/// Marks a service interface: a class one plugin publishes through
/// ServiceRegistry and others find by name. Plugins build with hidden
/// visibility, and ServiceRegistry::find compares typeid across libraries;
/// a hidden type_info is only guaranteed equal within its own library (some
/// toolchains compare such type_infos by address), so every published
/// interface is exported from whichever library uses it:
///   class CLINIC_SERVICE_INTERFACE AppointmentLookup { ... };
#define CLINIC_SERVICE_INTERFACE __attribute__((visibility("default")))
