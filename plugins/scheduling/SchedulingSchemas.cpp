#include "SchedulingSchemas.h"

namespace scheduling::schemas {

using clinic::Schema;

namespace {

const std::vector<std::string> kStatuses
    = {"pending", "confirmed", "checked_in", "completed", "cancelled", "no_show"};

Schema hhmm()
{
    return Schema::string(5, 5).describe("local wall-clock time HH:MM, 00:00 to 24:00");
}

Schema instant()
{
    return Schema::dateTime().describe("RFC 3339 with an offset, e.g. 2027-03-29T09:00:00+03:00");
}

Schema holiday()
{
    return Schema::object()
        .required("date", Schema::date())
        .optional("name", Schema::string(0, 200).describe("e.g. Christmas"));
}

} // namespace

Schema period(bool withLocation)
{
    auto p = Schema::object()
                 .required("weekday", Schema::integer(1, 7).describe("ISO weekday: 1 Monday .. 7 Sunday"))
                 .required("start", hhmm())
                 .required("end", hhmm().describe("after start"));
    if (withLocation)
        p.required("location_id", Schema::id());
    return p;
}

Schema location()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("name", Schema::string())
        .required("address", Schema::string())
        .required("city", Schema::string())
        .required("county", Schema::string())
        .required("timezone", Schema::string().describe("IANA time zone, e.g. Europe/Bucharest"))
        .required("phone", Schema::string().nullable())
        .required("opening_hours", Schema::array(period(false)))
        .required("holidays", Schema::array(holiday()).describe("days the location is closed"));
}

Schema locationInput(bool create)
{
    auto in = Schema::object();
    auto field = [&](const std::string& name, const Schema& s) {
        create ? in.required(name, s) : in.optional(name, s);
    };
    field("name", Schema::string(1, 200));
    field("address", Schema::string(1, 300));
    field("city", Schema::string(1, 100));
    field("county", Schema::string(1, 100));
    field("timezone",
        Schema::string(1, 64).describe("IANA time zone this server knows, e.g. Europe/Bucharest"));
    in.optional("phone", Schema::string(0, 40).nullable())
        .optional(
            "opening_hours", Schema::array(period(false)).maxItems(100).describe("periods must not overlap"))
        .optional(
            "holidays", Schema::array(holiday()).maxItems(400).describe("replaces the list; no date twice"));
    if (!create)
        in.describe("only the fields to change");
    return in;
}

Schema service()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("name", Schema::string())
        .required("department", Schema::string())
        .required("duration_min", Schema::integer())
        .required("price_minor", Schema::integer().describe("in minor units of currency"))
        .required("currency", Schema::string(3, 3))
        .required(
            "department_id", Schema::id().nullable().describe("its department; department is its name"));
}

Schema serviceInput(bool create)
{
    auto in = Schema::object();
    auto field = [&](const std::string& name, const Schema& s) {
        create ? in.required(name, s) : in.optional(name, s);
    };
    field("name", Schema::string(1, 200));
    in.optional("department",
        Schema::string(1, 100).describe("the department by name (made if none has it); required unless "
                                        "department_id is given"));
    in.optional("department_id", Schema::id().nullable().describe("an existing department"));
    field("duration_min", Schema::integer(5, 480));
    field("price_minor", Schema::integer(0, 1000000000000LL).describe("in minor units of currency"));
    field("currency", Schema::string(3, 3).describe("ISO 4217, three capital letters (RON, EUR)"));
    if (!create)
        in.describe("only the fields to change");
    return in;
}

Schema doctor()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("name", Schema::string())
        .required("specialty", Schema::string())
        .required("location_id", Schema::id().describe("the main location"))
        .required("service_ids", Schema::array(Schema::id()))
        .required("user_id", Schema::id().nullable().describe("the doctor's account, if linked"))
        .required("department_id", Schema::id().nullable())
        .optional(
            "rating_avg", Schema::number(1, 5).describe("mean rating, when the reviews plugin is loaded"))
        .optional("rating_count", Schema::integer().describe("ratings, when the reviews plugin is loaded"));
}

Schema doctorWithHours()
{
    return Schema(doctor()).required("hours", Schema::array(period(true)));
}

Schema doctorInput(bool create)
{
    auto in = Schema::object();
    auto field = [&](const std::string& name, const Schema& s) {
        create ? in.required(name, s) : in.optional(name, s);
    };
    field("name", Schema::string(1, 200));
    field("specialty", Schema::string(1, 100));
    field("location_id", Schema::id().describe("an existing location"));
    in.optional("service_ids",
          Schema::array(Schema::id()).maxItems(200).describe("existing services; replaces the list"))
        .optional("user_id", Schema::id().nullable().describe("an existing account; null unlinks"))
        .optional("department_id", Schema::id().nullable().describe("an existing department; null for none"));
    if (!create)
        in.describe("only the fields to change");
    return in;
}

Schema hoursInput()
{
    auto list = Schema::array(period(true)).maxItems(100).describe("replaces the doctor's weekly hours");
    return Schema::oneOf({list, Schema::object().required("hours", list)});
}

Schema hours()
{
    return Schema::object().required("items", Schema::array(period(true)).describe("by weekday and start"));
}

Schema timeOff()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("doctor_id", Schema::id())
        .required("start", instant())
        .required("end", instant())
        .required("reason", Schema::string());
}

Schema timeOffInput()
{
    return Schema::object()
        .required("start", instant())
        .required("end", instant().describe("after start, at most 366 days later"))
        .optional("reason", Schema::string(0, 200));
}

Schema slots()
{
    auto slot = Schema::object()
                    .required("start", instant())
                    .required("end", instant())
                    .required("doctor_id", Schema::id())
                    .required("location_id", Schema::id());
    return Schema::object().required("items", Schema::array(slot).describe("sorted by start"));
}

Schema appointment()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("series_id", Schema::id().nullable().describe("set for a recurring series"))
        .required("patient_id", Schema::id())
        .required("doctor_id", Schema::id())
        .required("service_id", Schema::id())
        .required("location_id", Schema::id())
        .required("start", instant())
        .required("end", instant())
        .required("duration_min", Schema::integer())
        .required("status", Schema::enumOf(kStatuses))
        .required("notes", Schema::string())
        .required("sequence", Schema::integer().describe("rises with every change (iCalendar SEQUENCE)"))
        .required("price_minor", Schema::integer())
        .required("currency", Schema::string(3, 3))
        .required("fee_minor", Schema::integer().describe("a late-cancellation or no-show fee"))
        .required("cancel_reason", Schema::string().nullable())
        .required("created_at", Schema::dateTime())
        .required("updated_at", Schema::dateTime());
}

Schema bookingInput()
{
    auto recurrence = Schema::object()
                          .required("freq", Schema::enumOf({"daily", "weekly", "monthly"}))
                          .optional("count", Schema::integer(1, 52).describe("occurrences; or until"))
                          .optional("until", Schema::date().describe("last day; or count"))
                          .describe("books a series: count or until, not both");
    return Schema::object()
        .optional("patient_id", Schema::id().describe("required, except for a patient booking for themself"))
        .required("doctor_id", Schema::id())
        .required("service_id", Schema::id().describe("one the doctor offers"))
        .required("start", instant().describe("on a 5-minute boundary"))
        .optional("notes", Schema::string(0, 2000))
        .optional("recurrence", recurrence);
}

Schema booked()
{
    auto skipped = Schema::object()
                       .required("start_local", Schema::string().describe("the occurrence's local time"))
                       .required("reason", Schema::string().describe("why it was not booked"));
    auto series = Schema::object()
                      .required("series_id", Schema::id())
                      .required("items", Schema::array(appointment()))
                      .required("skipped", Schema::array(skipped));
    return Schema::oneOf({appointment(), series});
}

Schema cancelInput()
{
    return Schema::object()
        .optional("reason", Schema::string(0, 500))
        .optional("scope",
            Schema::enumOf({"one", "following"})
                .describe("following: this and the later ones of its series"));
}

Schema cancelled()
{
    return Schema::oneOf({appointment(), Schema::object().required("items", Schema::array(appointment()))});
}

Schema rescheduleInput()
{
    return Schema::object().required("start", instant().describe("the new start, on a 5-minute boundary"));
}

Schema noFields()
{
    return Schema::object().describe("no fields: the body is ignored");
}

Schema waitlistEntry()
{
    auto offer = Schema::object()
                     .required("doctor_id", Schema::id())
                     .required("start", Schema::dateTime())
                     .nullable()
                     .describe("the freed slot offered, once status is offered");
    return Schema::object()
        .required("id", Schema::id())
        .required("patient_id", Schema::id())
        .required("doctor_id", Schema::id().nullable())
        .required("specialty", Schema::string().nullable())
        .required("service_id", Schema::id())
        .required("earliest", Schema::dateTime())
        .required("latest", Schema::dateTime())
        .required("status", Schema::string().describe("waiting or offered"))
        .required("offer", offer)
        .required("created_at", Schema::dateTime());
}

Schema waitlistInput()
{
    return Schema::object()
        .optional("patient_id", Schema::id().describe("required, except for a patient joining for themself"))
        .optional("doctor_id", Schema::id().describe("this doctor; or specialty"))
        .optional("specialty", Schema::string(1, 100).describe("any doctor of it; or doctor_id"))
        .required("service_id", Schema::id())
        .required("earliest", instant())
        .required("latest", instant().describe("after earliest, in the future, at most 366 days later"));
}

Schema dashboard()
{
    auto byStatus = Schema::object();
    for (const auto& status : kStatuses)
        byStatus.required(status, Schema::integer());
    auto doctorLoad = Schema::object()
                          .required("doctor_id", Schema::id())
                          .required("name", Schema::string())
                          .required("appointments", Schema::integer())
                          .required("booked_minutes", Schema::integer())
                          .required("working_minutes", Schema::integer())
                          .required("utilisation", Schema::number().describe("booked over working minutes"));
    return Schema::object()
        .required("date", Schema::date().describe("today in the clinic's zone"))
        .required("timezone", Schema::string())
        .required("today_by_status", byStatus)
        .required("today_by_doctor", Schema::array(doctorLoad))
        .required("today_by_department",
            Schema::array(
                Schema::object()
                    .required("department_id", Schema::id().nullable().describe("null: no department"))
                    .required("name", Schema::string())
                    .required("appointments", Schema::integer())
                    .required("booked_minutes", Schema::integer()))
                .describe("by the service's department"))
        .required("utilisation", Schema::number())
        .required("no_show_rate_30d", Schema::number())
        .required("upcoming", Schema::integer().describe("pending and confirmed from now on"))
        .required("waitlist", Schema::integer().describe("entries waiting"));
}

Schema monthlyReport()
{
    auto revenue = Schema::object()
                       .required("amount_minor", Schema::integer())
                       .required("currency", Schema::string(3, 3));
    auto line = Schema::object()
                    .optional("doctor_id", Schema::id().describe("per doctor (the default)"))
                    .optional("department_id",
                        Schema::id().nullable().describe("with ?by=department: the service's department"))
                    .required("name", Schema::string())
                    .required("booked", Schema::integer())
                    .required("completed", Schema::integer())
                    .required("cancelled", Schema::integer())
                    .required("no_show", Schema::integer())
                    .required("revenue", Schema::array(revenue).describe("per currency"));
    return Schema::object()
        .required("month", Schema::string(7, 7).describe("YYYY-MM"))
        .required("by", Schema::enumOf({"doctor", "department"}))
        .required("timezone", Schema::string())
        .required("items", Schema::array(line));
}

Schema department()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("name", Schema::string())
        .required(
            "location_id", Schema::id().nullable().describe("null for one made from a service's old text"))
        .required("head_doctor_id", Schema::id().nullable());
}

Schema departmentInput(bool create)
{
    auto in = Schema::object();
    auto field = [&](const std::string& name, const Schema& s) {
        create ? in.required(name, s) : in.optional(name, s);
    };
    field("name", Schema::string(1, 100));
    field("location_id", Schema::id().describe("an existing location"));
    in.optional("head_doctor_id", Schema::id().nullable().describe("an existing doctor, or null for none"));
    if (!create)
        in.describe("only the fields to change");
    return in;
}

Schema doctorStats()
{
    return Schema::object()
        .required("doctor_id", Schema::id())
        .required("from", Schema::date())
        .required("to", Schema::date())
        .required("timezone", Schema::string().describe("the zone of the doctor's main location"))
        .required("booked", Schema::integer().describe("appointments starting in the range, any status"))
        .required("completed", Schema::integer())
        .required("cancelled", Schema::integer())
        .required("no_show", Schema::integer())
        .required("booked_minutes", Schema::integer().describe("open and completed appointments' minutes"))
        .required("working_minutes",
            Schema::integer().describe("weekly hours in the range, less holidays and time off"))
        .required("utilisation", Schema::number().describe("booked over working minutes"))
        .required("average_lead_time_minutes",
            Schema::number().nullable().describe(
                "from booking to start, on average; null without appointments"));
}

} // namespace scheduling::schemas
